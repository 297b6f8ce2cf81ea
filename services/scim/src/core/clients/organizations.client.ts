import { createHash } from 'node:crypto';
import type { InternalTokenSigner } from '@malet/internal-auth';
import { callInternal } from './internal-http';

/** What a SCIM token grants: one organization, and the email domains it has proven it owns. */
export interface ScimTenant {
  organizationId: string;
  tokenId: string;
  verifiedDomains: string[];
}

/**
 * Organizations owns SCIM tokens (stored hashed there). Answers are remembered for `cacheTtlMs`
 * by the token's hash, so a busy IdP costs one verification per interval, and a revoked token
 * stops working within that interval (0 disables the cache).
 */
export function createOrganizationsClient(options: { organizationsUrl: string; signInternalToken: InternalTokenSigner; cacheTtlMs: number }) {
  const cache = new Map<string, { tenant: ScimTenant | null; until: number }>();
  const MAX_ENTRIES = 10_000;

  async function verify(token: string): Promise<ScimTenant | null> {
    const { status, body } = await callInternal({
      service: 'organizations',
      url: `${options.organizationsUrl}/internal/scim-tokens/verify`,
      body: { token },
      signInternalToken: options.signInternalToken,
    });
    if (status !== 200) return null;
    return {
      organizationId: String(body.organization_id),
      tokenId: String(body.token_id),
      verifiedDomains: Array.isArray(body.verified_domains) ? body.verified_domains.map(String) : [],
    };
  }

  return {
    async verifyScimToken(token: string): Promise<ScimTenant | null> {
      if (options.cacheTtlMs <= 0) return verify(token);
      const key = createHash('sha256').update(token).digest('hex');
      const known = cache.get(key);
      if (known && known.until > Date.now()) return known.tenant;
      const tenant = await verify(token);
      if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
      cache.set(key, { tenant, until: Date.now() + options.cacheTtlMs });
      return tenant;
    },
  };
}

export type OrganizationsClient = ReturnType<typeof createOrganizationsClient>;
