import type { Request } from 'express';
import { z } from 'zod';
import { readCredential } from '@malet/session-client';
import type { AuthCore } from '../../core/core';
import { coreErrors } from '../../core/errors/core.errors';
import { clearSessionCookie, setSessionCookie } from '../../core/http/session-cookie';
import { defineRoute } from '../../core/http/route';
import { sessionIssuedBody } from '../../core/http/sign-in-response';
import type { ActiveSession } from '../../core/sessions/session.repository';

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

const validationBody = (session: ActiveSession) => ({
  user_id: session.userId,
  email: session.email,
  session_id: session.id,
  expires_at: session.expiresAt.toISOString(),
  roles: session.roles,
  amr: session.amr,
});

/**
 * Seed 000's session endpoints: the gateway's two validation calls (cookie and Bearer
 * flavours), `/me`, refresh and logout. Refresh and logout read the credential themselves: a
 * dead session is still worth a refresh-token exchange, and logout clears the cookie either way.
 */
export function sessionRoutes(core: Pick<AuthCore, 'sessions' | 'refreshTokens' | 'identities' | 'users' | 'sendSignInResult' | 'config'>) {
  const { sessions } = core;
  const tokenOf = (headers: Parameters<typeof readCredential>[0]) => readCredential(headers)?.token;
  const validationRoute = (method: 'get' | 'post', path: string, summary: string, credentialOf: (req: Request) => Parameters<typeof readCredential>[0]) =>
    defineRoute({
      method,
      path,
      summary,
      tags: ['Sessions'],
      access: 'public',
      readsCredential: true,
      limit: 'sessionValidation',
      responses: { 200: { description: 'The session and its user', body: validationResponseBody } },
      errors: [coreErrors.codes.invalidSession],
      handle: async ({ req }) => validationBody(await sessions.getActiveOrThrow(tokenOf(credentialOf(req)))),
    });

  return [
    // Both answer the gateway: the cookie flavour for browsers, the Bearer flavour for API clients.
    validationRoute('get', '/auth/validate', 'Validate the session cookie (called by the gateway)', (req) => ({ cookie: req.headers.cookie })),
    validationRoute('post', '/validate-token', 'Validate a Bearer session token (called by the gateway)', (req) => ({ authorization: req.headers.authorization })),
    defineRoute({
      method: 'get',
      path: '/me',
      summary: 'The current user (cookie or Bearer)',
      tags: ['Sessions'],
      access: 'session',
      limit: 'session',
      responses: { 200: { description: 'The signed-in user', body: meResponseBody } },
      async handle({ session }) {
        const identity = await core.identities.findById(session.userId);
        if (!identity) throw coreErrors.invalidSession();
        return {
          id: identity.id,
          email: identity.email,
          username: await core.users.findUsername(identity.id),
          email_verified: identity.emailVerifiedAt !== null,
          created_at: identity.createdAt.toISOString(),
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/refresh',
      summary:
        'With `{"refresh_token"}`: rotates the refresh token and renews the session it is bound to (reuse of a rotated token revokes its family). Without a body: sliding refresh of the current session. Either way the old session token dies.',
      tags: ['Sessions'],
      access: 'public',
      readsCredential: true,
      limit: 'session',
      body: refreshBody,
      responses: {
        200: {
          description: 'The new session token (also set as the cookie), with the next refresh token when one was presented',
          body: z.union([sessionIssuedBody, refreshResponseBody]),
        },
      },
      errors: [coreErrors.codes.invalidSession, coreErrors.codes.invalidRefreshToken],
      async handle({ req, res, body, meta }) {
        if (body.refresh_token) {
          const opened = await core.refreshTokens.exchange(body.refresh_token, meta);
          core.sendSignInResult(res, { kind: 'session', ...opened });
          return;
        }
        const token = tokenOf(req.headers);
        if (!token) throw coreErrors.invalidSession();
        const refreshed = await sessions.refresh(token);
        setSessionCookie(res, refreshed.token, refreshed.ttlSeconds, core.config.cookie);
        return {
          session_token: refreshed.token,
          expires_in: refreshed.ttlSeconds,
          user: { id: refreshed.session.userId, email: refreshed.session.email },
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/logout',
      summary: 'End the current session and the refresh tokens bound to it, and clear the cookie',
      tags: ['Sessions'],
      access: 'public',
      readsCredential: true,
      limit: 'session',
      responses: { 200: { description: 'Signed out', body: z.object({ success: z.literal(true) }) } },
      errors: [coreErrors.codes.invalidSession],
      async handle({ req, res }) {
        const token = tokenOf(req.headers);
        if (!token) throw coreErrors.invalidSession();
        const revoked = await sessions.revoke(token, 'logout');
        clearSessionCookie(res, core.config.cookie);
        if (!revoked) throw coreErrors.invalidSession();
        return { success: true };
      },
    }),
  ];
}
