import { z } from 'zod';
import type { AuthCore } from '../../core/core';
import { defineRoute } from '../../core/http/route';
import { normalizeEmail } from '../../core/identities/email';
import { devTokenErrors } from './dev-token.errors';

const devTokenBody = z.object({ email: z.email().max(254) }).strict();

/**
 * `POST /auth/dev/token` (seed 000): a session for a seeded user without any ceremony.
 * Mounted only when DEV_MODE=true, which the config refuses in production.
 */
export function devTokenRoutes(
  core: Pick<AuthCore, 'identities' | 'sessions'>,
  /** Resolves the profile's username, waiting briefly for the outbox to deliver a new profile. */
  usernameOf: (userId: string) => Promise<string | null>,
) {
  return [
    defineRoute({
      method: 'post',
      path: '/auth/dev/token',
      summary: 'Dev mode only (DEV_MODE=true): a session for a seeded user without any ceremony',
      tags: ['Dev'],
      access: 'public',
      limit: 'devToken',
      body: devTokenBody,
      responses: {
        200: {
          description: 'A session token',
          body: z.object({
            session_token: z.string(),
            expires_in: z.number().int(),
            user: z.object({ id: z.string(), email: z.string(), username: z.string().nullable() }),
          }),
        },
      },
      errors: [devTokenErrors.codes.userNotFound],
      async handle({ body, meta }) {
        const identity = await core.identities.findByEmail(normalizeEmail(body.email));
        if (!identity) throw devTokenErrors.userNotFound();
        const session = await core.sessions.issue({ userId: identity.id, amr: ['dev'], ...meta });
        return {
          session_token: session.token,
          expires_in: core.sessions.ttlSeconds,
          user: { id: identity.id, email: identity.email, username: await usernameOf(identity.id) },
        };
      },
    }),
  ];
}
