import { ConflictError, ForbiddenError, UnauthenticatedError, ValidationError } from '@malet/errors';
import type { OrganizationRepository, OrganizationRow } from '../data/organization.repository';

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;

export function createOrganizationService(deps: { organizations: OrganizationRepository }) {
  const { organizations } = deps;
  return {
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
      if (!viewerId) throw new UnauthenticatedError('Sign in to see organizations');
      const organization = await organizations.findBySlug(slug.toLowerCase());
      if (!organization) return null;
      return (await organizations.membership(organization.id, viewerId)) ? organization : null;
    },

    async assertMember(viewerId: string | null, organizationId: string): Promise<void> {
      if (!viewerId) throw new UnauthenticatedError('Sign in to see organizations');
      if (!(await organizations.membership(organizationId, viewerId))) throw new ForbiddenError('Not a member');
    },
  };
}

export type OrganizationService = ReturnType<typeof createOrganizationService>;
