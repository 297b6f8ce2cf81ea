import { Router } from 'express';
import { z } from 'zod';
import { NotFoundError } from '@malet/errors';
import { validate } from '@malet/http-server';
import { requireInternalToken, type InternalTokenVerifier } from '@malet/internal-auth';
import { consumeEventOnce } from '@malet/outbox';
import type { UsersDb } from '../data/db';
import type { ProfileRepository } from '../data/profile.repository';
import type { ProfileService } from '../domain/profile.service';

const eventEnvelope = z.object({
  id: z.uuid(),
  topic: z.string().min(1).max(100),
  payload: z.unknown(),
  created_at: z.string(),
});

/** Profile fields auth learned (a name given at registration); email changes need nothing here. */
const userUpdated = z.object({
  user_id: z.uuid(),
  display_name: z.string().trim().min(1).max(100).optional(),
});

const userCreated = z.object({
  user_id: z.uuid(),
  email: z.string(),
  preferred_username: z.string().max(320).default('user'),
  /** A name the sign-in provider gave (Apple gives it on the first sign-in only). */
  display_name: z.string().trim().min(1).max(100).optional().catch(undefined),
});

/** Endpoints for auth only: every request needs a verified internal token that auth issued. */
export function internalRoutes(deps: {
  db: UsersDb;
  profiles: ProfileRepository;
  profileService: ProfileService;
  verifyInternalToken: InternalTokenVerifier;
}): Router {
  const router = Router();
  // Auth delivers its outbox events here and reads usernames for its REST answers; no one else calls.
  router.use('/internal', requireInternalToken(deps.verifyInternalToken, { callers: ['auth'] }));

  router.post('/internal/events', async function receiveEvent(req, res) {
    const event = validate(eventEnvelope, req.body);
    if (event.topic === 'user.created') {
      const payload = validate(userCreated, event.payload);
      const outcome = await consumeEventOnce(deps.db, event, (tx) =>
        deps.profileService.createForUser(tx, {
          userId: payload.user_id,
          preferredUsername: payload.preferred_username,
          displayName: payload.display_name ?? null,
        }),
      );
      res.json({ status: outcome });
      return;
    }
    if (event.topic === 'user.updated') {
      const payload = validate(userUpdated, event.payload);
      const displayName = payload.display_name;
      const outcome = await consumeEventOnce(deps.db, event, async (tx) => {
        if (displayName !== undefined) await deps.profiles.setDisplayName(tx, payload.user_id, displayName);
      });
      res.json({ status: outcome });
      return;
    }
    // Unknown topics are acknowledged so the producer's outbox does not retry them forever.
    res.json({ status: 'ignored' });
  });

  router.get('/internal/users/:id', async function showProfile(req, res) {
    const profile = await deps.profiles.findById(req.params.id!);
    if (!profile) throw new NotFoundError('No profile for that user', 'user:not_found');
    res.json({ id: profile.id, username: profile.username, display_name: profile.displayName });
  });

  return router;
}
