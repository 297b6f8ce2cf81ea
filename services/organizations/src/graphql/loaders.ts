import DataLoader from 'dataloader';
import type { DomainRepository, DomainRow } from '../data/domain.repository';
import type { MembershipRow, OrganizationRepository, OrganizationRow } from '../data/organization.repository';
import type { GroupRow, ProvisioningRepository } from '../data/provisioning.repository';

function groupBy<T>(keys: readonly string[], rows: T[], keyOf: (row: T) => string): T[][] {
  const byKey = new Map<string, T[]>();
  for (const row of rows) byKey.set(keyOf(row), [...(byKey.get(keyOf(row)) ?? []), row]);
  return keys.map((key) => byKey.get(key) ?? []);
}

/**
 * Per-request batching: however many organizations or users one query touches, each kind of row
 * is read with one query per level of the query (federation sends entity lists in one request).
 */
export function createLoaders(deps: { organizations: OrganizationRepository; domains: DomainRepository; provisioning: ProvisioningRepository }, viewerId: string | null) {
  let viewerMemberships: Promise<Map<string, MembershipRow>> | undefined;
  return {
    organizationsById: new DataLoader<string, OrganizationRow | null>(async (ids) => {
      const byId = new Map((await deps.organizations.findManyByIds([...ids])).map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    membersByOrganization: new DataLoader<string, MembershipRow[]>(async (ids) =>
      groupBy(ids, await deps.organizations.membersOfMany([...ids]), (row) => row.organizationId),
    ),
    membershipsByUser: new DataLoader<string, MembershipRow[]>(async (ids) =>
      groupBy(ids, await deps.organizations.membershipsOfUsers([...ids]), (row) => row.userId),
    ),
    domainsByOrganization: new DataLoader<string, DomainRow[]>(async (ids) =>
      groupBy(ids, await deps.domains.listForOrganizations([...ids]), (row) => row.organizationId),
    ),
    groupsByOrganization: new DataLoader<string, GroupRow[]>(async (ids) =>
      groupBy(ids, await deps.provisioning.groupsOfOrganizations([...ids]), (row) => row.organizationId),
    ),
    membersByGroup: new DataLoader<string, string[]>(async (ids) =>
      groupBy(ids, await deps.provisioning.membersOfGroups([...ids]), (row) => row.groupId).map((rows) => rows.map((row) => row.userId)),
    ),
    /** The signed-in user's memberships, read once per request: what decides visibility. */
    viewerMembership(organizationId: string): Promise<MembershipRow | null> {
      viewerMemberships ??= viewerId
        ? deps.organizations.membershipsOfUser(viewerId).then((rows) => new Map(rows.map((row) => [row.organizationId, row])))
        : Promise.resolve(new Map());
      return viewerMemberships.then((byOrganization) => byOrganization.get(organizationId) ?? null);
    },
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
