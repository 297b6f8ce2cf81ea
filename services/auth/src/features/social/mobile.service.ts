import { createHash, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { AuditLog } from '../../core/audit/audit-log';
import type { Clock } from '../../core/clock';
import type { RequestMeta } from '../../core/http/request-meta';
import { linkedIdentityErrors } from '../../core/linked-identities/linked-identity.errors';
import type { LinkedIdentityService, UpstreamIdentity } from '../../core/linked-identities/linked-identity.service';
import type { CompleteSignIn, SignInResult } from '../../core/sign-in/complete-sign-in';
import { identityFromOidcClaims, PROVIDER_BEHAVIOUR, isProviderName, type ProviderName } from './oauth-providers';
import { assertGoogleTokenAudience, fetchIdentityWithAccessToken } from './provider-profile';
import type { ProviderSettings } from './social.config';
import type { SocialRepository } from './social.repository';
import { socialErrors } from './social.errors';
import { oauthMethod } from './social.service';

const sha256Hex = (value: string) => createHash('sha256').update(value).digest('hex');

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Native apps sign in with the provider on the device, then trade what the provider gave them
 * for our session (15 minutes, `kind: 'mobile'`) and refresh token (30 days) at
 * `POST /auth/mobile/token`:
 *
 * - `{provider, access_token}` (Google, Facebook, GitHub, X): the provider's user-info endpoint
 *   is called with the token; only a token the provider honours yields a profile. Google's
 *   token-info endpoint must also name one of our client ids as its audience.
 * - `{provider, id_token, nonce}` (Apple, Google): the ID token is verified with `jose` against
 *   the provider's published keys (JWKS), its issuer, an audience among our client ids, its
 *   expiry (the service clock), and the nonce the app sent: equal to it, or, for Apple, to its
 *   SHA-256 (Apple's SDKs are handed the hash). Each nonce works once while its token lives.
 *
 * The identity then goes through core's linking rules and `completeSignIn`, as every sign-in does.
 */
export function createMobileTokenExchange(deps: {
  providers: ReadonlyMap<ProviderName, ProviderSettings>;
  nonces: Pick<SocialRepository, 'recordNonce'>;
  linkedIdentities: Pick<LinkedIdentityService, 'resolveSignIn'>;
  completeSignIn: CompleteSignIn;
  audit: AuditLog;
  clock: Clock;
}) {
  const keySets = new Map<ProviderName, JWTVerifyGetKey>();
  const keysOf = (provider: ProviderSettings) => {
    let keys = keySets.get(provider.name);
    if (!keys) {
      keys = createRemoteJWKSet(new URL(provider.endpoints.jwks!), { timeoutDuration: 10_000, cooldownDuration: 30_000 });
      keySets.set(provider.name, keys);
    }
    return keys;
  };

  function providerOrThrow(name: string): ProviderSettings {
    if (!isProviderName(name)) throw socialErrors.unknownProvider();
    const provider = deps.providers.get(name);
    if (!provider) throw socialErrors.providerNotConfigured(name);
    return provider;
  }

  async function identityFromIdToken(provider: ProviderSettings, idToken: string, nonce: string): Promise<{ identity: UpstreamIdentity; expiresAt: Date }> {
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(idToken, keysOf(provider), {
        issuer: provider.endpoints.issuer,
        audience: provider.audiences,
        algorithms: ['RS256', 'ES256'],
        currentDate: deps.clock.now(),
        requiredClaims: ['sub', 'exp', 'iat'],
      }));
    } catch (error) {
      // The provider's key set could not be fetched: the provider is away, the token may be fine.
      const code = (error as { code?: string }).code;
      if (code === 'ERR_JWKS_TIMEOUT' || code === 'ERR_JOSE_GENERIC' || error instanceof TypeError) throw socialErrors.providerUnavailable();
      throw socialErrors.invalidProviderToken();
    }
    const tokenNonce = typeof claims.nonce === 'string' ? claims.nonce : null;
    const accepted = [nonce, ...(provider.name === 'apple' ? [sha256Hex(nonce)] : [])];
    if (!tokenNonce || !accepted.some((candidate) => sameText(candidate, tokenNonce))) throw socialErrors.nonceMismatch();
    const identity = identityFromOidcClaims(provider.name, claims);
    if (!identity) throw socialErrors.invalidProviderToken();
    return { identity, expiresAt: new Date(Number(claims.exp) * 1000) };
  }

  async function verifiedIdentity(
    provider: ProviderSettings,
    credential: { accessToken?: string | undefined; idToken?: string | undefined; nonce?: string | undefined },
  ): Promise<UpstreamIdentity> {
    const behaviour = PROVIDER_BEHAVIOUR[provider.name].mobile;
    if (credential.idToken !== undefined) {
      if (!behaviour.idToken || !provider.endpoints.jwks) throw socialErrors.unsupportedCredential(provider.name, 'id_token');
      const { identity, expiresAt } = await identityFromIdToken(provider, credential.idToken, credential.nonce ?? '');
      // Recorded only once the token verified, so garbage cannot burn someone's nonce.
      if (!(await deps.nonces.recordNonce({ provider: provider.name, nonceHash: sha256Hex(credential.nonce ?? ''), expiresAt }))) throw socialErrors.nonceMismatch();
      return identity;
    }
    if (!behaviour.accessToken) throw socialErrors.unsupportedCredential(provider.name, 'access_token');
    if (provider.name === 'google') await assertGoogleTokenAudience(provider, credential.accessToken!);
    return fetchIdentityWithAccessToken(provider, credential.accessToken!);
  }

  return {
    async exchange(input: {
      provider: string;
      accessToken?: string | undefined;
      idToken?: string | undefined;
      nonce?: string | undefined;
      meta: RequestMeta;
    }): Promise<SignInResult> {
      const provider = providerOrThrow(input.provider);
      const method = oauthMethod(provider.name);
      let identity: UpstreamIdentity;
      try {
        identity = await verifiedIdentity(provider, input);
      } catch (error) {
        await deps.audit.record({ type: 'signin', outcome: 'failure', method, ...input.meta, details: { reason: 'provider_token_rejected', mobile: true } });
        throw error;
      }
      const resolution = await deps.linkedIdentities.resolveSignIn(identity, input.meta);
      // Apps cannot carry a browser's pending-link cookie: the holder signs in another way and links from there.
      if (resolution.kind === 'link_required') throw linkedIdentityErrors.linkRequired();
      return deps.completeSignIn({ user: { id: resolution.user.id, email: resolution.user.email }, method, meta: input.meta, sessionKind: 'mobile' });
    },
  };
}

export type MobileTokenExchange = ReturnType<typeof createMobileTokenExchange>;
