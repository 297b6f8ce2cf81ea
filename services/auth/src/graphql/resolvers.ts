import { readFileSync } from 'node:fs';
import DataLoader from 'dataloader';
import gql from 'graphql-tag';
import { UnauthenticatedError } from '@malet/errors';
import type { SubgraphContext } from '@malet/graphql-server';
import type { IdentityRepository, IdentityRow } from '../data/identity.repository';

export const typeDefs = gql(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

export interface AuthContext extends SubgraphContext {
  identities: DataLoader<string, IdentityRow | null>;
}

export function createIdentityLoader(identities: IdentityRepository) {
  return new DataLoader<string, IdentityRow | null>(async (ids) => {
    const rows = await identities.findManyByIds([...ids]);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

export function createResolvers() {
  return {
    Query: {
      async me(_parent: unknown, _args: unknown, context: AuthContext) {
        const userId = context.identity.userId;
        if (!userId) throw new UnauthenticatedError('Sign in to see your account');
        const identity = await context.identities.load(userId);
        if (!identity) throw new UnauthenticatedError('Sign in to see your account');
        return identity;
      },
    },
    User: {
      async __resolveReference(reference: { id: string }, context: AuthContext) {
        return context.identities.load(reference.id);
      },
      email(user: IdentityRow, _args: unknown, context: AuthContext) {
        const viewer = context.identity;
        return viewer.userId === user.id || viewer.roles.includes('admin') ? user.email : null;
      },
      emailVerified: (user: IdentityRow) => user.emailVerifiedAt !== null,
      createdAt: (user: IdentityRow) => user.createdAt.toISOString(),
    },
  };
}
