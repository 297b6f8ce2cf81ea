import { NotFoundError, ValidationError } from '@malet/errors';
import type { DomainRepository } from '../data/domain.repository';
import type { ScimTokenRepository, ScimTokenRow } from '../data/scim-token.repository';
import { MANAGERS, type OrganizationService } from './organization.service';
import { hashToken, looksLikeToken, mintToken } from './secret-token';

/**
 * SCIM bearer tokens (seed 000: "generated via the Organizations GraphQL API"). Owners and admins
 * mint and revoke them; the token is shown once and stored as its SHA-256 only.
 */
export function createScimTokenService(deps: { tokens: ScimTokenRepository; domains: DomainRepository; organizations: OrganizationService }) {
  const { tokens, organizations } = deps;
  return {
    async create(viewerId: string | null, input: { organizationId: string; name: string }): Promise<{ row: ScimTokenRow; token: string }> {
      const actor = await organizations.requireRole(viewerId, input.organizationId, MANAGERS);
      const name = input.name.trim();
      if (name.length < 1 || name.length > 100) throw new ValidationError('Invalid name', ['name']);
      const token = mintToken('scim');
      const row = await tokens.insert({ organizationId: input.organizationId, name, tokenHash: hashToken(token), createdBy: actor.userId });
      return { row, token };
    },

    async list(viewerId: string | null, organizationId: string): Promise<ScimTokenRow[]> {
      await organizations.requireRole(viewerId, organizationId, MANAGERS);
      return tokens.listForOrganization(organizationId);
    },

    async revoke(viewerId: string | null, id: string): Promise<ScimTokenRow> {
      const notFound = () => new NotFoundError('No such SCIM token', 'scim_token:not_found');
      const row = await tokens.findById(id);
      if (!row) throw notFound();
      await organizations.requireRole(viewerId, row.organizationId, MANAGERS, notFound);
      return (await tokens.revoke(id, new Date()))!;
    },

    /** For the SCIM service: the organization a live token acts for, and its verified email domains. */
    async verify(token: string): Promise<{ organizationId: string; tokenId: string; verifiedDomains: string[] } | null> {
      if (!looksLikeToken('scim', token)) return null;
      const row = await tokens.findLiveByHash(hashToken(token));
      if (!row) return null;
      await tokens.touch(row.id, new Date());
      return { organizationId: row.organizationId, tokenId: row.id, verifiedDomains: await deps.domains.verifiedFor(row.organizationId) };
    },
  };
}

export type ScimTokenService = ReturnType<typeof createScimTokenService>;
