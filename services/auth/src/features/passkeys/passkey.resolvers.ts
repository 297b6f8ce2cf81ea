import { z } from 'zod';
import { validate } from '@malet/http-server';
import type { AuthCore } from '../../core/core';
import { coreErrors } from '../../core/errors/core.errors';
import { viewerOrThrow, type AuthGraphqlContext } from '../../core/graphql-context';
import type { IdentityRow } from '../../core/identities/identity.repository';
import type { PasskeyRow } from './passkey.repository';
import { passkeyName } from './passkey.routes';
import type { PasskeyService } from './passkey.service';

const passkeyToGraphql = (row: PasskeyRow) => ({
  id: row.id,
  name: row.name,
  createdAt: row.createdAt.toISOString(),
  lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  deviceType: row.deviceType,
  backedUp: row.backedUp,
});

/** `User.passkeys` and the two mutations that manage them, the GraphQL face of `/auth/passkeys`. */
export function createPasskeyResolvers(core: Pick<AuthCore, 'sessions' | 'clock' | 'config'>, passkeys: PasskeyService) {
  /**
   * The same rule as REST's `recent` access: the viewer's session signed in at most
   * RECENT_SIGN_IN_SECONDS ago (its creation; sliding refreshes keep it).
   */
  async function assertSignedInRecently(viewer: { userId: string; sessionId: string | null }): Promise<void> {
    const session = viewer.sessionId ? (await core.sessions.listForUser(viewer.userId)).find((row) => row.id === viewer.sessionId) : undefined;
    const windowMs = core.config.session.recentSignInSeconds * 1000;
    if (!session || core.clock.now().getTime() - session.createdAt.getTime() > windowMs) throw coreErrors.reauthenticationRequired();
  }

  return {
    User: {
      async passkeys(user: IdentityRow, _args: unknown, context: AuthGraphqlContext) {
        const viewer = viewerOrThrow(context);
        if (viewer.userId !== user.id) throw coreErrors.notYours('passkeys');
        return (await passkeys.list(user.id)).map(passkeyToGraphql);
      },
    },
    Mutation: {
      async renamePasskey(_parent: unknown, args: { id: string; name: string }, context: AuthGraphqlContext) {
        const viewer = viewerOrThrow(context);
        const { name } = validate(z.object({ name: passkeyName }), { name: args.name });
        return passkeyToGraphql(await passkeys.rename(viewer.userId, args.id, name));
      },
      async deletePasskey(_parent: unknown, args: { id: string }, context: AuthGraphqlContext) {
        const viewer = viewerOrThrow(context);
        await assertSignedInRecently(viewer);
        await passkeys.remove(viewer.userId, args.id, { ip: null, userAgent: null });
        return true;
      },
    },
  };
}
