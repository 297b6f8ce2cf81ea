import { ConflictError } from '@malet/errors';
import type { AnyPgDatabase } from '@malet/outbox';
import type { ProfileRepository } from '../data/profile.repository';
import { usernameCandidates } from './username';

export function createProfileService(deps: { profiles: ProfileRepository }) {
  const { profiles } = deps;
  return {
    /** Creates the profile for a new identity (idempotent: an existing profile is kept). */
    async createForUser(tx: AnyPgDatabase, input: { userId: string; preferredUsername: string; displayName?: string | null }): Promise<void> {
      if (await profiles.exists(tx, input.userId)) return;
      for (const username of usernameCandidates(input.preferredUsername, input.userId)) {
        if (await profiles.insertIfFree(tx, { id: input.userId, username, displayName: input.displayName ?? null })) return;
      }
      throw new ConflictError('No free username for this user', 'profile:username_exhausted');
    },
  };
}

export type ProfileService = ReturnType<typeof createProfileService>;
