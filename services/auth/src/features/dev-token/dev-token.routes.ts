import { Router } from 'express';
import { z } from 'zod';
import { NotFoundError } from '@malet/errors';
import { validate } from '@malet/http-server';
import type { IdentityRepository } from '../data/identity.repository';
import type { SessionService } from '../domain/session.service';
import { normalizeEmail } from '../domain/email';
import type { RateLimitGuard } from './rate-limit';
import { documentRoute } from './openapi';

const devTokenBody = z.object({ email: z.email().max(254) }).strict();

documentRoute({
  method: 'post',
  path: '/auth/dev/token',
  summary: 'Dev mode only (DEV_MODE=true): a session for a seeded user without any ceremony',
  tags: ['Dev'],
  auth: 'dev',
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
    400: { description: 'Invalid body' },
    404: { description: '`user:not_found`: no user with that email' },
    429: { description: 'Too many requests (Retry-After)' },
  },
});

/**
 * `POST /auth/dev/token` (seed 000): a session for a seeded user without any ceremony.
 * Mounted only when DEV_MODE=true, which the config refuses in production.
 */
export function devRoutes(deps: {
  identities: IdentityRepository;
  sessions: SessionService;
  limits: RateLimitGuard;
  /** Resolves the profile's username, waiting briefly for the outbox to deliver a new profile. */
  usernameOf: (userId: string) => Promise<string | null>;
}): Router {
  const router = Router();
  router.post('/auth/dev/token', deps.limits.limit('devToken'), async function issueDevToken(req, res) {
    const { email } = validate(devTokenBody, req.body);
    const identity = await deps.identities.findByEmail(normalizeEmail(email));
    if (!identity) throw new NotFoundError('No user with that email', 'user:not_found');
    const session = await deps.sessions.issue({
      userId: identity.id,
      amr: ['dev'],
      ip: req.ip ?? null,
      userAgent: req.get('user-agent') ?? null,
    });
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      session_token: session.token,
      expires_in: deps.sessions.ttlSeconds,
      user: { id: identity.id, email: identity.email, username: await deps.usernameOf(identity.id) },
    });
  });
  return router;
}
