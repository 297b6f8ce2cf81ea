import { Router } from 'express';
import { z } from 'zod';
import { validate } from '@malet/http-server';
import type { RefreshTokenService } from '../domain/refresh-token.service';
import type { SessionManagement, SessionView } from '../domain/session-management.service';
import type { SessionService } from '../domain/session.service';
import { documentRoute } from './openapi';
import { requireSession } from './password.routes';
import type { RateLimitGuard } from './rate-limit';
import { requestMeta } from './sign-in-response';

export const sessionItem = z.object({
  id: z.string(),
  created_at: z.string(),
  last_seen_at: z.string(),
  expires_at: z.string(),
  ip: z.string().nullable(),
  user_agent: z.string().nullable(),
  device: z.string().nullable().meta({ example: 'Firefox 121 on Windows 10' }),
  current: z.boolean(),
  methods: z.array(z.string()),
});
export const sessionListBody = z.object({ sessions: z.array(sessionItem) });
export const sessionIdParams = z.object({ id: z.string().min(1).max(64) });
/** RFC 7009: `token` and an optional `token_type_hint`; JSON or form-encoded. */
export const revokeBody = z.object({
  token: z.string().min(1).max(512),
  token_type_hint: z.enum(['refresh_token', 'access_token']).optional(),
});

documentRoute({
  method: 'get',
  path: '/auth/sessions',
  summary: 'List my live sessions (device, IP, last seen); `current` marks the one making the request',
  tags: ['Sessions'],
  auth: 'session',
  responses: { 200: { description: 'Most recently seen first', body: sessionListBody }, 401: { description: 'No valid session' } },
});
documentRoute({
  method: 'delete',
  path: '/auth/sessions/{id}',
  summary: 'Sign out one of my sessions; every gateway drops it within a second',
  tags: ['Sessions'],
  auth: 'session',
  responses: {
    200: { description: 'Revoked', body: z.object({ success: z.literal(true) }) },
    401: { description: 'No valid session' },
    404: { description: '`session:not_found`: not one of my live sessions' },
  },
});
documentRoute({
  method: 'post',
  path: '/auth/sessions/revoke-others',
  summary: 'Sign out every session except this one',
  tags: ['Sessions'],
  auth: 'session',
  responses: { 200: { description: 'How many were signed out', body: z.object({ revoked: z.number().int() }) }, 401: { description: 'No valid session' } },
});
documentRoute({
  method: 'post',
  path: '/auth/revoke',
  summary: 'Revoke a refresh token (its whole rotation family and bound sessions) or a session token (RFC 7009)',
  tags: ['Sessions'],
  auth: 'none',
  body: revokeBody,
  responses: {
    200: { description: 'Always, whether or not the token existed (RFC 7009 section 2.2)', body: z.object({ success: z.literal(true) }) },
    400: { description: 'Invalid body' },
    429: { description: 'Too many requests (Retry-After)' },
  },
});

const toWire = (session: SessionView) => ({
  id: session.id,
  created_at: session.createdAt.toISOString(),
  last_seen_at: session.lastSeenAt.toISOString(),
  expires_at: session.expiresAt.toISOString(),
  ip: session.ip,
  user_agent: session.userAgent,
  device: session.device,
  current: session.current,
  methods: session.methods,
});

/** "Where am I signed in" and token revocation. */
export function sessionsRoutes(deps: {
  sessions: SessionService;
  management: SessionManagement;
  refreshTokens: RefreshTokenService;
  limits: RateLimitGuard;
}): Router {
  const router = Router();

  router.get('/auth/sessions', deps.limits.limit('session'), async function listMySessions(req, res) {
    const session = await requireSession(deps.sessions, req);
    const sessions = await deps.management.list(session.userId, session.id);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ sessions: sessions.map(toWire) });
  });

  router.delete('/auth/sessions/:id', deps.limits.limit('session'), async function revokeMySession(req, res) {
    const session = await requireSession(deps.sessions, req);
    const { id } = validate(sessionIdParams, req.params);
    await deps.management.revoke(session.userId, id, { ...requestMeta(req), currentSessionId: session.id });
    res.json({ success: true });
  });

  router.post('/auth/sessions/revoke-others', deps.limits.limit('session'), async function revokeMyOtherSessions(req, res) {
    const session = await requireSession(deps.sessions, req);
    const revoked = await deps.management.revokeOthers(session.userId, session.id, requestMeta(req));
    res.json({ revoked });
  });

  router.post('/auth/revoke', deps.limits.limit('session'), async function revokeToken(req, res) {
    const { token } = validate(revokeBody, req.body);
    // Possession of a token is enough to end it; what happened is not revealed (RFC 7009).
    const byRefresh = await deps.refreshTokens.revoke(token);
    if (!byRefresh) await deps.sessions.revoke(token, 'token_revoked');
    res.setHeader('Cache-Control', 'no-store');
    res.json({ success: true });
  });

  return router;
}
