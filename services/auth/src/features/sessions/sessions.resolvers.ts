import { coreErrors } from '../../core/errors/core.errors';
import { viewerOrThrow, type AuthGraphqlContext } from '../../core/graphql-context';
import type { IdentityRow } from '../../core/identities/identity.repository';
import type { SessionManagement, SessionView } from './session-management.service';
import { sessionErrors } from './sessions.errors';

const sessionToGraphql = (session: SessionView) => ({
  ...session,
  createdAt: session.createdAt.toISOString(),
  lastSeenAt: session.lastSeenAt.toISOString(),
  expiresAt: session.expiresAt.toISOString(),
});

/** `User.sessions` and the two revocation mutations, the GraphQL face of the session list. */
export function createSessionResolvers(management: SessionManagement) {
  return {
    Mutation: {
      async revokeSession(_parent: unknown, args: { id: string }, context: AuthGraphqlContext) {
        const viewer = viewerOrThrow(context);
        await management.revoke(viewer.userId, args.id, { ip: null, userAgent: null, currentSessionId: viewer.sessionId });
        return true;
      },
      async revokeOtherSessions(_parent: unknown, _args: unknown, context: AuthGraphqlContext) {
        const viewer = viewerOrThrow(context);
        if (!viewer.sessionId) throw sessionErrors.noCurrentSession();
        return management.revokeOthers(viewer.userId, viewer.sessionId, { ip: null, userAgent: null });
      },
    },
    User: {
      /** Loaded once per request however often it is asked for (aliases), through the request's loader. */
      async sessions(user: IdentityRow, _args: unknown, context: AuthGraphqlContext) {
        const viewer = viewerOrThrow(context);
        if (viewer.userId !== user.id) throw coreErrors.notYours('sessions');
        const loader = context.loaders.get<string, SessionView[]>('User.sessions', async (userIds) => {
          const byUser = await management.listForUsers(userIds, viewer.sessionId);
          return userIds.map((id) => byUser.get(id) ?? []);
        });
        return (await loader.load(user.id)).map(sessionToGraphql);
      },
    },
  };
}
