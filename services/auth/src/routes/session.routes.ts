import { Router, type Request } from 'express';
import { UnauthenticatedError } from '@malet/errors';
import { readCredential } from '@malet/session-client';
import type { ActiveSession } from '../data/session.repository';
import type { IdentityRepository } from '../data/identity.repository';
import type { SessionService } from '../domain/session.service';
import type { UsersClient } from '../clients/users.client';
import { clearSessionCookie, setSessionCookie, type CookieSettings } from './session-cookie';

export function sessionRoutes(deps: {
  sessions: SessionService;
  identities: IdentityRepository;
  users: UsersClient;
  cookie: CookieSettings;
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
  router.get('/auth/validate', async function validateSessionCookie(req, res) {
    const credential = readCredential({ cookie: req.headers.cookie });
    const session = await deps.sessions.getActiveOrThrow(credential?.token);
    res.setHeader('Cache-Control', 'no-store');
    res.json(validationBody(session));
  });

  router.post('/validate-token', async function validateBearerToken(req, res) {
    const credential = readCredential({ authorization: req.headers.authorization });
    const session = await deps.sessions.getActiveOrThrow(credential?.token);
    res.setHeader('Cache-Control', 'no-store');
    res.json(validationBody(session));
  });

  router.get('/me', async function showCurrentUser(req, res) {
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

  router.post('/auth/refresh', async function refreshSession(req, res) {
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

  router.post('/auth/logout', async function logout(req, res) {
    const token = tokenOf(req);
    if (!token) throw new UnauthenticatedError('Session required', 'auth:invalid_session');
    const revoked = await deps.sessions.revoke(token, 'logout');
    clearSessionCookie(res, deps.cookie);
    if (!revoked) throw new UnauthenticatedError('Session invalid or expired', 'auth:invalid_session');
    res.json({ success: true });
  });

  return router;
}
