import { defineErrors } from '../../core/errors/error-catalogue';

/** Social sign-in (browser flows and the mobile token exchange). Linking codes are core's (`identity:*`). */
export const socialErrors = defineErrors('social', {
  unknownProvider: { code: 'oauth:unknown_provider', status: 404, message: 'No such sign-in provider (google, apple, twitter, facebook, github)' },
  providerNotConfigured: { code: 'oauth:provider_not_configured', status: 404, message: (provider: string) => `Sign-in with ${provider} is not configured here` },
  /**
   * The callback's `state` names no sign-in this browser started: unknown, expired, already used,
   * for another provider, or without the browser's binding cookie (login CSRF, a replayed callback).
   */
  invalidState: { code: 'oauth:invalid_state', status: 400, message: 'This sign-in was not started in this browser, expired or was already completed: start again' },
  /** The provider sent the browser back with an error (`access_denied` when the user declined). */
  providerDenied: { code: 'oauth:provider_denied', status: 400, message: (error: string) => `The provider did not sign you in (${error})` },
  /** The provider refused the code: unknown, used, or its PKCE verifier does not match. */
  codeRejected: { code: 'oauth:code_rejected', status: 400, message: 'The provider refused to exchange the authorization code' },
  /** The ID token from the token endpoint failed its checks (nonce, issuer, audience, signature, expiry). */
  idTokenRejected: { code: 'oauth:id_token_rejected', status: 400, message: "The provider's ID token failed verification" },
  /** The provider answered without an identity we can use (no subject). */
  profileUnusable: { code: 'oauth:profile_unusable', status: 400, message: 'The provider did not say who signed in' },
  /** A form post to the callback of a provider that answers by redirect (only Apple posts). */
  unexpectedFormPost: { code: 'oauth:unexpected_form_post', status: 400, message: (provider: string) => `${provider} answers by redirect, not by form post` },
  providerUnavailable: { code: 'oauth:provider_unavailable', status: 502, message: 'The sign-in provider could not be reached; try again' },
  /** A linking flow needs a session that signed in recently; it is started by the account holder. */
  linkNeedsSession: { code: 'oauth:link_requires_session', status: 401, message: 'Sign in first to link a provider to your account' },

  /** Mobile: a token the provider did not issue to our apps, or no longer honours. */
  invalidProviderToken: {
    code: 'mobile:invalid_provider_token',
    status: 401,
    message: 'The provider token is invalid, expired, revoked or was not issued to this app',
  },
  /** Mobile: the ID token's nonce is not the one sent, or it was used already. */
  nonceMismatch: { code: 'mobile:nonce_mismatch', status: 401, message: 'The ID token does not carry this nonce, or it was already used' },
  /** Mobile: Apple gives apps ID tokens only; X, Facebook and GitHub give access tokens only. */
  unsupportedCredential: {
    code: 'mobile:unsupported_credential',
    status: 400,
    message: (provider: string, credential: string) => `${provider} sign-in takes no ${credential} here`,
  },
});
