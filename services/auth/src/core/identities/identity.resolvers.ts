import { coreErrors } from '../errors/core.errors';
import { viewerOrThrow, type AuthGraphqlContext } from '../graphql-context';
import type { IdentityRow } from './identity.repository';

/** The `User` entity's identity fields and `me`; features add fields of their own to `User`. */
export const identityResolvers = {
  Query: {
    async me(_parent: unknown, _args: unknown, context: AuthGraphqlContext) {
      const viewer = viewerOrThrow(context);
      const identity = await context.identities.load(viewer.userId);
      // A token for an identity that no longer exists is a dead session, as REST `/me` says.
      if (!identity) throw coreErrors.invalidSession();
      return identity;
    },
  },
  User: {
    async __resolveReference(reference: { id: string }, context: AuthGraphqlContext) {
      return context.identities.load(reference.id);
    },
    email(user: IdentityRow, _args: unknown, context: AuthGraphqlContext) {
      const viewer = context.identity;
      return viewer.userId === user.id || viewer.roles.includes('admin') ? user.email : null;
    },
    emailVerified: (user: IdentityRow) => user.emailVerifiedAt !== null,
    createdAt: (user: IdentityRow) => user.createdAt.toISOString(),
  },
};
