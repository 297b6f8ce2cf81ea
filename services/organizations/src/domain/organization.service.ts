import { ConflictError, ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError } from '@malet/errors';
import type { MembershipRow, OrganizationRepository, OrganizationRow, Role } from '../data/organization.repository';

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
export const MANAGERS: Role[] = ['owner', 'admin'];

export function requireViewer(viewerId: string | null): string {
  if (!viewerId) throw new UnauthenticatedError('Sign in to see organizations');
  return viewerId;
}

/**
 * Organizations and their members. To someone who is not a member an organization does not
 * exist: every lookup by id answers "not found" rather than "forbidden", so ids cannot be probed.
 */
export function createOrganizationService(deps: { organizations: OrganizationRepository }) {
  const { organizations } = deps;

  /**
   * The viewer's membership in the organization, with one of `roles`; otherwise not found or
   * forbidden. `notFound` replaces the not-found error when the caller asked about something
   * inside the organization (a token, a domain): a stranger learns nothing, not even that it exists.
   */
  async function requireRole(
    viewerId: string | null,
    organizationId: string,
    roles: Role[] = ['owner', 'admin', 'member'],
    notFound: () => NotFoundError = () => new NotFoundError('No such organization', 'organization:not_found'),
  ): Promise<MembershipRow> {
    const membership = await organizations.membership(organizationId, requireViewer(viewerId));
    if (!membership) throw notFound();
    if (!roles.includes(membership.role)) throw new ForbiddenError('Your role in this organization does not allow that', 'organization:forbidden');
    return membership;
  }

  function assertMayManage(actor: MembershipRow, target: MembershipRow | null, newRole?: Role): void {
    // Only owners make or unmake owners; admins manage members and admins.
    if ((target?.role === 'owner' || newRole === 'owner') && actor.role !== 'owner') {
      throw new ForbiddenError('Only an owner can change an owner', 'organization:forbidden');
    }
  }

  function outcome(result: 'done' | 'not_member' | 'last_owner'): void {
    if (result === 'not_member') throw new NotFoundError('Not a member of this organization', 'organization:member_not_found');
    if (result === 'last_owner') throw new ConflictError('An organization keeps at least one owner', 'organization:last_owner');
  }

  return {
    requireRole,

    async create(viewerId: string | null, input: { name: string; slug: string }): Promise<OrganizationRow> {
      if (!viewerId) throw new UnauthenticatedError('Sign in to create an organization');
      const name = input.name.trim();
      const slug = input.slug.trim().toLowerCase();
      const invalid = [...(name.length < 1 || name.length > 100 ? ['name'] : []), ...(SLUG.test(slug) ? [] : ['slug'])];
      if (invalid.length) throw new ValidationError(`Invalid ${invalid.join(', ')}`, invalid);
      const created = await organizations.createWithOwner({ name, slug, ownerId: viewerId });
      if (!created) throw new ConflictError('That slug is taken', 'organization:slug_taken');
      return created;
    },

    /** Members may see an organization; to everyone else it does not exist. */
    async findVisible(viewerId: string | null, slug: string): Promise<OrganizationRow | null> {
      const viewer = requireViewer(viewerId);
      const organization = await organizations.findBySlug(slug.trim().toLowerCase());
      if (!organization) return null;
      return (await organizations.membership(organization.id, viewer)) ? organization : null;
    },

    async changeRole(viewerId: string | null, input: { organizationId: string; userId: string; role: Role }): Promise<MembershipRow> {
      const actor = await requireRole(viewerId, input.organizationId, MANAGERS);
      const target = await organizations.membership(input.organizationId, input.userId);
      assertMayManage(actor, target, input.role);
      outcome(await organizations.changeMembership(input.organizationId, input.userId, { role: input.role }));
      return (await organizations.membership(input.organizationId, input.userId))!;
    },

    async removeMember(viewerId: string | null, input: { organizationId: string; userId: string }): Promise<void> {
      const actor = await requireRole(viewerId, input.organizationId, MANAGERS);
      assertMayManage(actor, await organizations.membership(input.organizationId, input.userId));
      outcome(await organizations.changeMembership(input.organizationId, input.userId, { remove: true }));
    },

    async leave(viewerId: string | null, organizationId: string): Promise<void> {
      const membership = await requireRole(viewerId, organizationId);
      outcome(await organizations.changeMembership(organizationId, membership.userId, { remove: true }));
    },
  };
}

export type OrganizationService = ReturnType<typeof createOrganizationService>;
