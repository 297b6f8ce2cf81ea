import { defineErrors } from './error-catalogue';

/** `Retry-After` in whole seconds, at least one. */
export const retryAfter = (seconds: number) => ({ 'Retry-After': String(Math.max(1, Math.ceil(seconds))) });

/**
 * Codes the shared packages produce for every service (request parsing and validation, routing,
 * rate limits, internal tokens, unexpected failures). Auth declares them so its catalogue and
 * its OpenAPI document name every code a client can see.
 */
export const platformErrors = defineErrors('platform', {
  invalidRequest: { code: 'request:invalid', status: 400, message: 'Invalid request: the offending fields are listed in `fields`' },
  invalidJson: { code: 'request:invalid_json', status: 400, message: 'Body is not valid JSON' },
  tooLarge: { code: 'request:too_large', status: 413, message: 'Body is too large' },
  unsupportedEncoding: { code: 'request:unsupported_encoding', status: 415, message: 'Unsupported body encoding' },
  tooManyParameters: { code: 'request:too_many_parameters', status: 413, message: 'Too many parameters' },
  badRequest: { code: 'request:bad_request', status: 400, message: 'Bad request' },
  routeNotFound: { code: 'request:route_not_found', status: 404, message: 'No such route' },
  rateLimited: { code: 'rate_limit:exceeded', status: 429, message: 'Too many requests, try again later', headers: retryAfter },
  internalTokenMissing: { code: 'internal:token_missing', status: 401, message: 'Internal token required' },
  internalTokenInvalid: { code: 'internal:token_invalid', status: 401, message: 'Internal token invalid' },
  internalCallerNotAllowed: { code: 'internal:caller_not_allowed', status: 401, message: 'Caller not allowed' },
  notReady: { code: 'service:not_ready', status: 503, message: 'Dependencies unavailable (readiness)' },
  shuttingDown: { code: 'service:shutting_down', status: 503, message: 'Shutting down (readiness)' },
  databaseUnavailable: { code: 'service:database_unavailable', status: 503, message: 'The database is unavailable; retry shortly', headers: () => ({ 'Retry-After': '1' }) },
  unexpected: { code: 'internal:error', status: 500, message: 'Unexpected error; the answer carries an error id' },
});

/** Codes several features answer with: sessions, cookies' CSRF check, emailed tokens, mail. */
export const coreErrors = defineErrors('core', {
  /** Missing, unknown, revoked or expired session credential, on REST and GraphQL alike. */
  invalidSession: { code: 'auth:invalid_session', status: 401, message: 'Session invalid or expired' },
  invalidRefreshToken: { code: 'auth:invalid_refresh_token', status: 401, message: 'Refresh token invalid or expired' },
  /** Signed in, but not as the owner of what was asked for. */
  notYours: { code: 'auth:forbidden', status: 403, message: (what: string) => `Only the user themselves can see their ${what}` },
  /** A recent sign-in is required (route access `recent`): sign in again or re-authenticate, then retry. */
  reauthenticationRequired: {
    code: 'auth:reauthentication_required',
    status: 403,
    message:
      'This change needs a recent sign-in: sign in again, or prove it is you in this session (POST /auth/reauthenticate with the password, or POST /auth/mfa/step-up with a second factor), then retry',
  },
  originNotTrusted: { code: 'csrf:origin_not_trusted', status: 403, message: 'Cross-site request refused: origin not trusted' },
  crossSite: { code: 'csrf:cross_site', status: 403, message: 'Cross-site request refused' },
  /** An emailed account token (verification, reset, email change) that cannot be redeemed. */
  invalidAccountToken: { code: 'auth:invalid_token', status: 400, message: 'The link or token is invalid, expired or already used' },
  /** A return_to (magic link, social provider, SAML login) outside RETURN_TO_ALLOWLIST: no open redirects. */
  returnToNotAllowed: { code: 'auth:return_to_not_allowed', status: 400, message: 'return_to is not an allowed destination', fields: ['return_to'] },
  mailUnavailable: { code: 'mail:unavailable', status: 503, message: 'Could not send the email, try again later' },
  /** Every sign-in method answers this for an identity its organization deprovisioned (SCIM). */
  accountDeactivated: { code: 'auth:account_deactivated', status: 403, message: 'This account is deactivated by its organization' },
});
