import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serviceRoot } from '@malet/config';
import { ForbiddenError, NotFoundError } from '@malet/errors';
import gql from 'graphql-tag';
import type { SubgraphContext } from '@malet/graphql-server';
import type { DomainRow } from '../data/domain.repository';
import type { InvitationRow } from '../data/invitation.repository';
import type { MembershipRow, OrganizationRow, Role } from '../data/organization.repository';
import type { GroupRow } from '../data/provisioning.repository';
import type { ScimTokenRow } from '../data/scim-token.repository';
import { txtRecordFor, type DomainVerificationService } from '../domain/domain-verification.service';
import { statusOf, type InvitationService } from '../domain/invitation.service';
import { MANAGERS, type OrganizationService } from '../domain/organization.service';
import { describeCertificate, type SamlConnectionService } from '../domain/saml-connection.service';
import type { ScimTokenService } from '../domain/scim-token.service';
import type { SamlConnectionRow } from '../data/saml-connection.repository';
import type { Loaders } from './loaders';

export const typeDefs = gql(readFileSync(join(serviceRoot(import.meta.url), 'src/schema.graphql'), 'utf8'));

export interface OrganizationsContext extends SubgraphContext {
  loaders: Loaders;
}

type Ctx = OrganizationsContext;
const iso = (date: Date | null) => date?.toISOString() ?? null;
const toRole = (role: string) => role.toLowerCase() as Role;
const toPem = (body: string) => `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;

/** The viewer's membership, or the same "not found" a stranger gets for an organization that does not exist. */
async function memberOrThrow(context: Ctx, organizationId: string, roles: Role[] = ['owner', 'admin', 'member']): Promise<MembershipRow> {
  const membership = await context.loaders.viewerMembership(organizationId);
  if (!membership) throw new NotFoundError('No such organization', 'organization:not_found');
  if (!roles.includes(membership.role)) throw new ForbiddenError('Your role in this organization does not allow that', 'organization:forbidden');
  return membership;
}

export function createResolvers(deps: {
  service: OrganizationService;
  invitations: InvitationService;
  domains: DomainVerificationService;
  scimTokens: ScimTokenService;
  samlConnections: SamlConnectionService;
}) {
  const viewer = (context: Ctx) => context.identity.userId;
  return {
    Query: {
      organization: (_: unknown, args: { slug: string }, context: Ctx) => deps.service.findVisible(viewer(context), args.slug),
      scimTokens: (_: unknown, args: { organizationId: string }, context: Ctx) => deps.scimTokens.list(viewer(context), args.organizationId),
      samlConnection: (_: unknown, args: { organizationId: string }, context: Ctx) => deps.samlConnections.find(viewer(context), args.organizationId),
    },
    Mutation: {
      createOrganization: (_: unknown, args: { name: string; slug: string }, context: Ctx) => deps.service.create(viewer(context), args),
      inviteMember: (_: unknown, args: { organizationId: string; email: string; role: string | null }, context: Ctx) => {
        // `role` may be sent as an explicit null, which GraphQL passes instead of the default.
        const role = toRole(args.role ?? 'MEMBER');
        if (role === 'owner') throw new ForbiddenError('Invite as admin or member; promote to owner once joined', 'organization:forbidden');
        return deps.invitations.invite(viewer(context), { organizationId: args.organizationId, email: args.email, role });
      },
      revokeInvitation: (_: unknown, args: { id: string }, context: Ctx) => deps.invitations.revoke(viewer(context), args.id),
      acceptInvitation: async (_: unknown, args: { token: string }, context: Ctx) => {
        const accepted = await deps.invitations.accept({ userId: viewer(context), email: context.identity.email }, args.token);
        return context.loaders.organizationsById.load(accepted.organizationId);
      },
      changeMemberRole: (_: unknown, args: { organizationId: string; userId: string; role: string }, context: Ctx) =>
        deps.service.changeRole(viewer(context), { organizationId: args.organizationId, userId: args.userId, role: toRole(args.role) }),
      removeMember: async (_: unknown, args: { organizationId: string; userId: string }, context: Ctx) => {
        await deps.service.removeMember(viewer(context), args);
        return true;
      },
      leaveOrganization: async (_: unknown, args: { organizationId: string }, context: Ctx) => {
        await deps.service.leave(viewer(context), args.organizationId);
        return true;
      },
      addDomain: (_: unknown, args: { organizationId: string; domain: string }, context: Ctx) => deps.domains.add(viewer(context), args),
      verifyDomain: (_: unknown, args: { id: string }, context: Ctx) => deps.domains.verify(viewer(context), args.id),
      removeDomain: async (_: unknown, args: { id: string }, context: Ctx) => {
        await deps.domains.remove(viewer(context), args.id);
        return true;
      },
      createScimToken: async (_: unknown, args: { organizationId: string; name: string }, context: Ctx) => {
        const { row, token } = await deps.scimTokens.create(viewer(context), args);
        return { id: row.id, name: row.name, createdAt: row.createdAt.toISOString(), token };
      },
      revokeScimToken: (_: unknown, args: { id: string }, context: Ctx) => deps.scimTokens.revoke(viewer(context), args.id),
      configureSamlConnection: (_: unknown, args: { organizationId: string; idpMetadataXml: string; allowIdpInitiated: boolean }, context: Ctx) =>
        deps.samlConnections.configureFromMetadata(viewer(context), args),
      configureSamlConnectionManually: (
        _: unknown,
        args: { organizationId: string; idpEntityId: string; ssoUrl: string; certificate: string; allowIdpInitiated: boolean },
        context: Ctx,
      ) => deps.samlConnections.configure(viewer(context), args),
      addSamlCertificate: (_: unknown, args: { organizationId: string; certificate: string }, context: Ctx) =>
        deps.samlConnections.addCertificate(viewer(context), args),
      removeSamlCertificate: (_: unknown, args: { organizationId: string; fingerprint: string }, context: Ctx) =>
        deps.samlConnections.removeCertificate(viewer(context), args),
      deleteSamlConnection: (_: unknown, args: { organizationId: string }, context: Ctx) => deps.samlConnections.remove(viewer(context), args.organizationId),
    },
    Organization: {
      /** Entities from other subgraphs resolve for members only: to anyone else the organization is null. */
      async __resolveReference(reference: { id: string }, context: Ctx) {
        if (!(await context.loaders.viewerMembership(reference.id))) return null;
        return context.loaders.organizationsById.load(reference.id);
      },
      createdAt: (organization: OrganizationRow) => organization.createdAt.toISOString(),
      async members(organization: OrganizationRow, _: unknown, context: Ctx) {
        await memberOrThrow(context, organization.id);
        return context.loaders.membersByOrganization.load(organization.id);
      },
      async invitations(organization: OrganizationRow, _: unknown, context: Ctx) {
        await memberOrThrow(context, organization.id, MANAGERS);
        return deps.invitations.list(viewer(context), organization.id);
      },
      async domains(organization: OrganizationRow, _: unknown, context: Ctx) {
        await memberOrThrow(context, organization.id);
        return context.loaders.domainsByOrganization.load(organization.id);
      },
      async groups(organization: OrganizationRow, _: unknown, context: Ctx) {
        await memberOrThrow(context, organization.id);
        return context.loaders.groupsByOrganization.load(organization.id);
      },
    },
    Membership: {
      user: (membership: MembershipRow) => ({ __typename: 'User', id: membership.userId }),
      role: (membership: MembershipRow) => membership.role.toUpperCase(),
      joinedAt: (membership: MembershipRow) => membership.createdAt.toISOString(),
      provisioned: (membership: MembershipRow) => membership.provisionedAt !== null,
    },
    Invitation: {
      role: (row: InvitationRow) => row.role.toUpperCase(),
      status: (row: InvitationRow) => statusOf(row),
      createdAt: (row: InvitationRow) => row.createdAt.toISOString(),
      expiresAt: (row: InvitationRow) => row.expiresAt.toISOString(),
    },
    OrganizationDomain: {
      verified: (row: DomainRow) => row.verifiedAt !== null,
      verifiedAt: (row: DomainRow) => iso(row.verifiedAt),
      txtRecordName: (row: DomainRow) => txtRecordFor(row).name,
      txtRecordValue: (row: DomainRow) => txtRecordFor(row).value,
    },
    ScimToken: {
      createdAt: (row: ScimTokenRow) => row.createdAt.toISOString(),
      lastUsedAt: (row: ScimTokenRow) => iso(row.lastUsedAt),
      revokedAt: (row: ScimTokenRow) => iso(row.revokedAt),
    },
    SamlConnection: {
      /** Other subgraphs (auth) only name the key; the connection itself is for owners and admins. */
      __resolveReference: (reference: { organizationId: string }, context: Ctx) => deps.samlConnections.find(viewer(context), reference.organizationId),
      certificates: (row: SamlConnectionRow) =>
        row.certificates.map((body) => {
          const summary = describeCertificate(body);
          return { ...summary, notBefore: summary.notBefore.toISOString(), notAfter: summary.notAfter.toISOString(), pem: toPem(body) };
        }),
      createdAt: (row: SamlConnectionRow) => row.createdAt.toISOString(),
      updatedAt: (row: SamlConnectionRow) => row.updatedAt.toISOString(),
    },
    Group: {
      members: async (group: GroupRow, _: unknown, context: Ctx) =>
        (await context.loaders.membersByGroup.load(group.id)).map((id) => ({ __typename: 'User', id })),
    },
    User: {
      async organizations(user: { id: string }, _: unknown, context: Ctx) {
        if (viewer(context) !== user.id) return [];
        const memberships = await context.loaders.membershipsByUser.load(user.id);
        const rows = await context.loaders.organizationsById.loadMany(memberships.map((m) => m.organizationId));
        return rows.filter((row): row is OrganizationRow => row !== null && !(row instanceof Error));
      },
    },
  };
}
