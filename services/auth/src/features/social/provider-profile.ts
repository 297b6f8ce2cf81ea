import type { UpstreamIdentity } from '../../core/linked-identities/linked-identity.service';
import { identityFromProfile } from './oauth-providers';
import type { ProviderSettings } from './social.config';
import { socialErrors } from './social.errors';

const PROVIDER_TIMEOUT_MS = 10_000;

/**
 * GETs a provider API with a Bearer access token. A 4xx means the provider does not honour the
 * token (invalid, expired, revoked): `invalidProviderToken`; no answer or a 5xx means the
 * provider is away: `providerUnavailable`. Never echoes the token anywhere.
 */
async function getJson(url: string, accessToken: string | null): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      headers: {
        accept: 'application/json',
        // GitHub's API refuses requests without a User-Agent.
        'user-agent': 'malet-auth',
        ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
      },
      redirect: 'error',
      signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
    });
  } catch {
    throw socialErrors.providerUnavailable();
  }
  if (response.status >= 500) throw socialErrors.providerUnavailable();
  if (!response.ok) throw socialErrors.invalidProviderToken();
  try {
    return await response.json();
  } catch {
    throw socialErrors.providerUnavailable();
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The identity behind an access token, from the provider's user-info endpoint (and GitHub's
 * address list, where it says which address it verified). Calling the provider with the token
 * is the proof: a token it does not honour gets no profile.
 */
export async function fetchIdentityWithAccessToken(provider: ProviderSettings, accessToken: string): Promise<UpstreamIdentity> {
  if (!provider.endpoints.userinfo) throw socialErrors.unsupportedCredential(provider.name, 'access_token');
  const profile = await getJson(provider.endpoints.userinfo, accessToken);
  const emails = provider.endpoints.emails ? await getJson(provider.endpoints.emails, accessToken) : undefined;
  const identity = isObject(profile) ? identityFromProfile(provider.name, profile, emails) : null;
  if (!identity) throw socialErrors.profileUnusable();
  return identity;
}

/**
 * Google's check that an access token was issued to one of our clients (its token-info
 * endpoint): a token minted for another app must not sign anyone in here (token substitution).
 */
export async function assertGoogleTokenAudience(provider: ProviderSettings, accessToken: string): Promise<void> {
  if (!provider.endpoints.tokeninfo) return;
  const url = new URL(provider.endpoints.tokeninfo);
  url.searchParams.set('access_token', accessToken);
  const info = await getJson(url.toString(), null);
  if (!isObject(info)) throw socialErrors.invalidProviderToken();
  const audiences = [info.aud, info.azp].filter((value): value is string => typeof value === 'string');
  const expiresIn = Number(info.expires_in);
  if (!audiences.some((audience) => provider.audiences.includes(audience)) || !(expiresIn > 0)) throw socialErrors.invalidProviderToken();
}
