import { z } from 'zod';
import type { AuthCore } from '../../core/core';
import { defineRoute } from '../../core/http/route';
import type { SessionManagement, SessionView } from './session-management.service';
import { sessionErrors } from './sessions.errors';

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
export function sessionListRoutes(core: Pick<AuthCore, 'sessions' | 'refreshTokens'>, management: SessionManagement) {
  return [
    defineRoute({
      method: 'get',
      path: '/auth/sessions',
      summary: 'List my live sessions (device, IP, last seen); `current` marks the one making the request',
      tags: ['Sessions'],
      access: 'session',
      limit: 'session',
      responses: { 200: { description: 'Most recently seen first', body: sessionListBody } },
      async handle({ session }) {
        return { sessions: (await management.list(session.userId, session.id)).map(toWire) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/auth/sessions/:id',
      summary: 'Sign out one of my sessions; every gateway drops it within a second',
      tags: ['Sessions'],
      access: 'session',
      limit: 'session',
      params: sessionIdParams,
      responses: { 200: { description: 'Revoked', body: z.object({ success: z.literal(true) }) } },
      errors: [sessionErrors.codes.notFound],
      async handle({ session, params, meta }) {
        await management.revoke(session.userId, params.id, { ...meta, currentSessionId: session.id });
        return { success: true };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/sessions/revoke-others',
      summary: 'Sign out every session except this one',
      tags: ['Sessions'],
      access: 'session',
      limit: 'session',
      responses: { 200: { description: 'How many were signed out', body: z.object({ revoked: z.number().int() }) } },
      async handle({ session, meta }) {
        return { revoked: await management.revokeOthers(session.userId, session.id, meta) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/revoke',
      summary: 'Revoke a refresh token (its whole rotation family and bound sessions) or a session token (RFC 7009)',
      tags: ['Sessions'],
      access: 'public',
      limit: 'session',
      body: revokeBody,
      responses: { 200: { description: 'Always, whether or not the token existed (RFC 7009 section 2.2)', body: z.object({ success: z.literal(true) }) } },
      async handle({ body }) {
        // Possession of a token is enough to end it; what happened is not revealed (RFC 7009).
        const byRefresh = await core.refreshTokens.revoke(body.token);
        if (!byRefresh) await core.sessions.revoke(body.token, 'token_revoked');
        return { success: true };
      },
    }),
  ];
}
