import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serviceRoot } from '@malet/config';
import DataLoader from 'dataloader';
import gql from 'graphql-tag';
import { NotFoundError, UnauthenticatedError, ValidationError } from '@malet/errors';
import type { SubgraphContext } from '@malet/graphql-server';
import type { ProfileRepository, ProfileRow } from '../data/profile.repository';

export const typeDefs = gql(readFileSync(join(serviceRoot(import.meta.url), 'src/schema.graphql'), 'utf8'));

export interface UsersContext extends SubgraphContext {
  profilesById: DataLoader<string, ProfileRow | null>;
}

export function createProfileLoader(profiles: ProfileRepository) {
  return new DataLoader<string, ProfileRow | null>(async (ids) => {
    const rows = await profiles.findManyByIds([...ids]);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

export function createResolvers(deps: { profiles: ProfileRepository }) {
  return {
    Query: {
      user: (_parent: unknown, args: { username: string }) =>
        args.username.length > 64 ? null : deps.profiles.findByUsername(args.username),
    },
    Mutation: {
      async updateMyProfile(_parent: unknown, args: { displayName?: string | null }, context: UsersContext) {
        const userId = context.identity.userId;
        if (!userId) throw new UnauthenticatedError('Sign in to change your profile');
        const displayName = args.displayName?.trim() || null;
        if (displayName && displayName.length > 100) {
          throw new ValidationError('displayName must be at most 100 characters', ['displayName']);
        }
        const updated = await deps.profiles.updateDisplayName(userId, displayName);
        if (!updated) throw new NotFoundError('No profile for this user yet', 'user:not_found');
        return updated;
      },
    },
    User: {
      __resolveReference: (reference: { id: string }, context: UsersContext) => context.profilesById.load(reference.id),
    },
  };
}
