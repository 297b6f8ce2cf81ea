import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serviceRoot } from '@malet/config';
import DataLoader from 'dataloader';
import gql from 'graphql-tag';
import type { SubgraphContext } from '@malet/graphql-server';
import type { MembershipRow, OrganizationRepository, OrganizationRow } from '../data/organization.repository';
import type { OrganizationService } from '../domain/organization.service';

export const typeDefs = gql(readFileSync(join(serviceRoot(import.meta.url), 'src/schema.graphql'), 'utf8'));

export interface OrganizationsContext extends SubgraphContext {
  organizationsById: DataLoader<string, OrganizationRow | null>;
}

export function createOrganizationLoader(organizations: OrganizationRepository) {
  return new DataLoader<string, OrganizationRow | null>(async (ids) => {
    const rows = await organizations.findManyByIds([...ids]);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

export function createResolvers(deps: { organizations: OrganizationRepository; service: OrganizationService }) {
  return {
    Query: {
      organization: (_parent: unknown, args: { slug: string }, context: OrganizationsContext) =>
        deps.service.findVisible(context.identity.userId, args.slug),
    },
    Mutation: {
      createOrganization: (_parent: unknown, args: { name: string; slug: string }, context: OrganizationsContext) =>
        deps.service.create(context.identity.userId, args),
    },
    Organization: {
      __resolveReference: (reference: { id: string }, context: OrganizationsContext) =>
        context.organizationsById.load(reference.id),
      createdAt: (organization: OrganizationRow) => organization.createdAt.toISOString(),
      async members(organization: OrganizationRow, _args: unknown, context: OrganizationsContext) {
        await deps.service.assertMember(context.identity.userId, organization.id);
        return deps.organizations.membersOf(organization.id);
      },
    },
    Membership: {
      user: (membership: MembershipRow) => ({ __typename: 'User', id: membership.userId }),
      role: (membership: MembershipRow) => membership.role.toUpperCase(),
    },
    User: {
      async organizations(user: { id: string }, _args: unknown, context: OrganizationsContext) {
        if (context.identity.userId !== user.id) return [];
        const memberships = await deps.organizations.membershipsOfUser(user.id);
        const rows = await context.organizationsById.loadMany(memberships.map((m) => m.organizationId));
        return rows.filter((row): row is OrganizationRow => row !== null && !(row instanceof Error));
      },
    },
  };
}
