import * as client from 'openid-client';
import { importPKCS8, SignJWT } from 'jose';
import type { AppError } from '@malet/errors';
import type { Clock } from '../../core/clock';
import type { UpstreamIdentity } from '../../core/linked-identities/linked-identity.service';
import { identityFromOidcClaims, PROVIDER_BEHAVIOUR, type ProviderBehaviour, type ProviderName } from './oauth-providers';
import { fetchIdentityWithAccessToken } from './provider-profile';
import type { ProviderSettings } from './social.config';
import { socialErrors } from './social.errors';

/** What the browser brought back to the callback (query or Apple's form post). */
export interface AuthorizationResponse {
  code?: string | undefined;
  state?: string | undefined;
  iss?: string | undefined;
}

/**
 * The relying-party side of one provider, on `openid-client` (certified for OpenID Connect, and
 * a plain OAuth 2.0 client for X, Facebook and GitHub): the authorization URL with state, PKCE
 * and nonce, and the code exchange, which checks state, sends the PKCE verifier and, for OpenID
 * providers, validates the ID token (signature against the provider's keys, issuer, audience,
 * expiry, nonce).
 */
export function createOAuthClient(settings: ProviderSettings, deps: { clock: Clock }) {
  const behaviour: ProviderBehaviour = PROVIDER_BEHAVIOUR[settings.name];
  const appleSecret = settings.apple ? createAppleClientSecret(settings.apple, settings.clientId, deps.clock) : null;
  const secret = () => appleSecret?.current() ?? settings.clientSecret ?? '';

  const clientAuth: client.ClientAuth =
    behaviour.clientAuth === 'basic'
      ? (as, metadata, body, headers) => client.ClientSecretBasic(secret())(as, metadata, body, headers)
      : (as, metadata, body, headers) => client.ClientSecretPost(secret())(as, metadata, body, headers);
  const config = new client.Configuration(
    {
      issuer: settings.endpoints.issuer,
      authorization_endpoint: settings.endpoints.authorization,
      token_endpoint: settings.endpoints.token,
      ...(settings.endpoints.userinfo ? { userinfo_endpoint: settings.endpoints.userinfo } : {}),
      ...(settings.endpoints.jwks ? { jwks_uri: settings.endpoints.jwks } : {}),
    },
    settings.clientId,
    {},
    clientAuth,
  );
  config.timeout = 10;
  // Plain HTTP only reaches a stand-in (tests, `pnpm dev`): production refuses http endpoints (social.config.ts).
  if (Object.values(settings.endpoints).some((url) => url?.startsWith('http:'))) client.allowInsecureRequests(config);
  // ID tokens from the token endpoint are also checked against the provider's published keys.
  if (behaviour.protocol === 'oidc' && settings.endpoints.jwks) client.enableNonRepudiationChecks(config);

  return {
    name: settings.name as ProviderName,
    behaviour,
    settings,

    authorizationUrl(input: { redirectUri: string; state: string; nonce: string | null; codeChallenge: string | null; loginHint?: string | undefined }): string {
      const params: Record<string, string> = {
        redirect_uri: input.redirectUri,
        response_type: 'code',
        scope: behaviour.scopes,
        state: input.state,
      };
      if (input.nonce) params.nonce = input.nonce;
      if (input.codeChallenge) Object.assign(params, { code_challenge: input.codeChallenge, code_challenge_method: 'S256' });
      if (behaviour.responseMode === 'form_post') params.response_mode = 'form_post';
      if (input.loginHint) params.login_hint = input.loginHint;
      return client.buildAuthorizationUrl(config, params).toString();
    },

    /** Exchanges the code and says who signed in. Throws the catalogue's `oauth:*` errors. */
    async exchangeCode(input: {
      redirectUri: string;
      response: AuthorizationResponse;
      expectedState: string;
      codeVerifier: string | null;
      nonce: string | null;
    }): Promise<UpstreamIdentity> {
      await appleSecret?.refresh();
      const currentUrl = new URL(input.redirectUri);
      for (const [name, value] of Object.entries(input.response)) if (typeof value === 'string') currentUrl.searchParams.set(name, value);
      let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
      try {
        tokens = await client.authorizationCodeGrant(config, currentUrl, {
          expectedState: input.expectedState,
          ...(input.codeVerifier ? { pkceCodeVerifier: input.codeVerifier } : {}),
          ...(behaviour.protocol === 'oidc' ? { expectedNonce: input.nonce ?? undefined, idTokenExpected: true } : {}),
        });
      } catch (error) {
        throw exchangeError(error);
      }
      if (behaviour.protocol === 'oidc') {
        const identity = identityFromOidcClaims(settings.name, (tokens.claims() ?? {}) as Record<string, unknown>);
        if (!identity) throw socialErrors.profileUnusable();
        return identity;
      }
      return fetchIdentityWithAccessToken(settings, tokens.access_token);
    },
  };
}

export type OAuthClient = ReturnType<typeof createOAuthClient>;

/** openid-client's failures as the catalogue's codes: the provider refused, the ID token failed, or the provider is away. */
function exchangeError(error: unknown): AppError {
  if (error instanceof client.ResponseBodyError) return error.status >= 500 ? socialErrors.providerUnavailable() : socialErrors.codeRejected();
  if (error instanceof client.AuthorizationResponseError) return socialErrors.providerDenied(error.error.slice(0, 64));
  if (error instanceof client.ClientError) {
    if (/JWT|JWS|KEY_SELECTION|ID_TOKEN/.test(error.code ?? '') || /id_token|ID Token/i.test(error.message)) return socialErrors.idTokenRejected();
    const cause = error.cause as { status?: number } | undefined;
    return typeof cause?.status === 'number' && cause.status < 500 ? socialErrors.codeRejected() : socialErrors.providerUnavailable();
  }
  return socialErrors.providerUnavailable();
}

/**
 * Apple's client secret is a short-lived ES256 JWT signed with the team's Sign in with Apple key
 * (`iss` team id, `sub` the Services ID, `aud` Apple). Minted ahead of use and renewed hourly.
 */
function createAppleClientSecret(apple: { teamId: string; keyId: string; privateKey: string }, clientId: string, clock: Clock) {
  let secret: { value: string; mintedAt: number } | null = null;
  const RENEW_MS = 3_600_000;
  return {
    current: () => secret?.value ?? null,
    async refresh(): Promise<void> {
      const now = clock.now().getTime();
      if (secret && now - secret.mintedAt < RENEW_MS) return;
      const key = await importPKCS8(apple.privateKey, 'ES256');
      const issuedAt = Math.floor(now / 1000);
      const value = await new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: apple.keyId })
        .setIssuer(apple.teamId)
        .setSubject(clientId)
        .setAudience('https://appleid.apple.com')
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + 86_400)
        .sign(key);
      secret = { value, mintedAt: now };
    },
  };
}
