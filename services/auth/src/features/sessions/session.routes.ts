import { Router, type Request } from 'express';
import { z } from 'zod';
import { UnauthenticatedError } from '@malet/errors';
import { validate } from '@malet/http-server';
import { readCredential } from '@malet/session-client';
import type { ActiveSession } from '../data/session.repository';
import type { IdentityRepository } from '../data/identity.repository';
import type { RefreshTokenService } from '../domain/refresh-token.service';
import type { SessionService } from '../domain/session.service';
import type { UsersClient } from '../clients/users.client';
import { clearSessionCookie, setSessionCookie, type CookieSettings } from './session-cookie';
import type { RateLimitGuard } from './rate-limit';
import { documentRoute, sessionIssuedBody } from './openapi';
import { sendSignInResult } from './sign-in-response';

export const validationResponseBody = z.object({
  user_id: z.string(),
  email: z.string(),
  session_id: z.string(),
  expires_at: z.string().meta({ format: 'date-time' }),
  roles: z.array(z.string()),
  amr: z.array(z.string()),
});
export const meResponseBody = z.object({
  id: z.string(),
  email: z.string(),
  username: z.string().nullable(),
  email_verified: z.boolean(),
  created_at: z.string().meta({ format: 'date-time' }),
});
export const refreshResponseBody = z.object({
  session_token: z.string(),
  expires_in: z.number().int(),
  user: z.object({ id: z.string(), email: z.string() }),
});
/** Seed 003's form; without it the request's own session (cookie or Bearer) slides. */
export const refreshBody = z.object({ refresh_token: z.string().min(1).max(200).optional() }).strict();
const unauthenticated = { description: '`auth:invalid_session`: missing, unknown, revoked or expired credential' };
const throttled = { description: 'Too many requests (Retry-After)' };

documentRoute({
  method: 'get',
  path: '/auth/validate',
  summary: 'Validate the session cookie (called by the gateway)',
  tags: ['Sessions'],
  auth: 'session',
  responses: { 200: { description: 'The session and its user', body: validationResponseBody }, 401: unauthenticated, 429: throttled },
});
documentRoute({
  method: 'post',
  path: '/validate-token',
  summary: 'Validate a Bearer session token (called by the gateway)',
  tags: ['Sessions'],
  auth: 'session',
  responses: { 200: { description: 'The session and its user', body: validationResponseBody }, 401: unauthenticated, 429: throttled },
});
documentRoute({
  method: 'get',
  path: '/me',
  summary: 'The current user (cookie or Bearer)',
  tags: ['Sessions'],
  auth: 'session',
  responses: { 200: { description: 'The signed-in user', body: meResponseBody }, 401: unauthenticated, 429: throttled },
});
documentRoute({
  method: 'post',
  path: '/auth/refresh',
  summary:
    'With `{"refresh_token"}`: rotates the refresh token and renews the session it is bound to (reuse of a rotated token revokes its family). Without a body: sliding refresh of the current session. Either way the old session token dies.',
  tags: ['Sessions'],
  auth: 'session',
  body: refreshBody,
  responses: {
    200: { description: 'The new session token (also set as the cookie), with the next refresh token when one was presented', body: z.union([sessionIssuedBody, refreshResponseBody]) },
    400: { description: 'Malformed body' },
    401: { description: '`auth:invalid_session` or `auth:invalid_refresh_token`' },
    429: throttled,
  },
});
documentRoute({
  method: 'post',
  path: '/auth/logout',
  summary: 'End the current session and the refresh tokens bound to it, and clear the cookie',
  tags: ['Sessions'],
  auth: 'session',
  responses: { 200: { description: 'Signed out', body: z.object({ success: z.literal(true) }) }, 401: unauthenticated, 429: throttled },
});

export function sessionRoutes(deps: {
  sessions: SessionService;
  refreshTokens: Pick<RefreshTokenService, 'exchange'>;
  identities: IdentityRepository;
  users: UsersClient;
  cookie: CookieSettings;
  limits: RateLimitGuard;
}): Router {
  const router = Router();

  /** The token of the request's credential, whatever its kind. */
  const tokenOf = (req: Request) => readCredential(req.headers)?.token;

  const validationBody = (session: ActiveSession) => ({
    user_id: session.userId,
    email: session.email,
    session_id: session.id,
    expires_at: session.expiresAt.toISOString(),
    roles: session.roles,
    amr: session.amr,
  });

  // Both validation endpoints answer the gateway: cookie (browser) and Bearer (API) flavours.
  router.get('/auth/validate', deps.limits.limit('sessionValidation'), async function validateSessionCookie(req, res) {
    const credential = readCredential({ cookie: req.headers.cookie });
    const session = await deps.sessions.getActiveOrThrow(credential?.token);
    res.setHeader('Cache-Control', 'no-store');
    res.json(validationBody(session));
  });

  router.post('/validate-token', deps.limits.limit('sessionValidation'), async function validateBearerToken(req, res) {
    const credential = readCredential({ authorization: req.headers.authorization });
    const session = await deps.sessions.getActiveOrThrow(credential?.token);
    res.setHeader('Cache-Control', 'no-store');
    res.json(validationBody(session));
  });

  router.get('/me', deps.limits.limit('session'), async function showCurrentUser(req, res) {
    const session = await deps.sessions.getActiveOrThrow(tokenOf(req));
    const identity = await deps.identities.findById(session.userId);
    if (!identity) throw new UnauthenticatedError('Session invalid or expired', 'auth:invalid_session');
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      id: identity.id,
      email: identity.email,
      username: await deps.users.findUsername(identity.id),
      email_verified: identity.emailVerifiedAt !== null,
      created_at: identity.createdAt.toISOString(),
    });
  });

  router.post('/auth/refresh', deps.limits.limit('session'), async function refreshSession(req, res) {
    const body = validate(refreshBody, req.body ?? {});
    if (body.refresh_token) {
      const opened = await deps.refreshTokens.exchange(body.refresh_token);
      sendSignInResult(res, { kind: 'session', ...opened }, { ttlSeconds: deps.sessions.ttlSeconds, cookie: deps.cookie });
      return;
    }
    const token = tokenOf(req);
    if (!token) throw new UnauthenticatedError('Session required', 'auth:invalid_session');
    const refreshed = await deps.sessions.refresh(token);
    setSessionCookie(res, refreshed.token, deps.sessions.ttlSeconds, deps.cookie);
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      session_token: refreshed.token,
      expires_in: deps.sessions.ttlSeconds,
      user: { id: refreshed.session.userId, email: refreshed.session.email },
    });
  });

  router.post('/auth/logout', deps.limits.limit('session'), async function logout(req, res) {
    const token = tokenOf(req);
    if (!token) throw new UnauthenticatedError('Session required', 'auth:invalid_session');
    const revoked = await deps.sessions.revoke(token, 'logout');
    clearSessionCookie(res, deps.cookie);
    if (!revoked) throw new UnauthenticatedError('Session invalid or expired', 'auth:invalid_session');
    res.json({ success: true });
  });

  return router;
}
