import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serviceRoot } from '@malet/config';
import DataLoader from 'dataloader';
import gql from 'graphql-tag';
import { ForbiddenError, UnauthenticatedError } from '@malet/errors';
import type { SubgraphContext } from '@malet/graphql-server';
import type { IdentityRepository, IdentityRow } from '../data/identity.repository';
import type { MfaService } from '../domain/mfa.service';
import type { SessionManagement, SessionView } from '../domain/session-management.service';

export const typeDefs = gql(readFileSync(join(serviceRoot(import.meta.url), 'src/schema.graphql'), 'utf8'));

export interface AuthContext extends SubgraphContext {
  identities: DataLoader<string, IdentityRow | null>;
  sessionManagement: SessionManagement;
  mfa: Pick<MfaService, 'status'>;
}

function viewerOrThrow(context: AuthContext): { userId: string; sessionId: string | null } {
  const { userId, sessionId } = context.identity;
  if (!userId) throw new UnauthenticatedError('Sign in to manage your sessions');
  return { userId, sessionId };
}

const sessionToGraphql = (session: SessionView) => ({
  ...session,
  createdAt: session.createdAt.toISOString(),
  lastSeenAt: session.lastSeenAt.toISOString(),
  expiresAt: session.expiresAt.toISOString(),
});

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
    Mutation: {
      async revokeSession(_parent: unknown, args: { id: string }, context: AuthContext) {
        const viewer = viewerOrThrow(context);
        await context.sessionManagement.revoke(viewer.userId, args.id, {
          ip: null,
          userAgent: null,
          currentSessionId: viewer.sessionId,
        });
        return true;
      },
      async revokeOtherSessions(_parent: unknown, _args: unknown, context: AuthContext) {
        const viewer = viewerOrThrow(context);
        if (!viewer.sessionId) throw new UnauthenticatedError('A session is required to keep while signing out the others');
        return context.sessionManagement.revokeOthers(viewer.userId, viewer.sessionId, { ip: null, userAgent: null });
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
      async sessions(user: IdentityRow, _args: unknown, context: AuthContext) {
        const viewer = viewerOrThrow(context);
        if (viewer.userId !== user.id) throw new ForbiddenError('Only the user themselves can see their sessions');
        return (await context.sessionManagement.list(user.id, viewer.sessionId)).map(sessionToGraphql);
      },
      async mfa(user: IdentityRow, _args: unknown, context: AuthContext) {
        const viewer = viewerOrThrow(context);
        if (viewer.userId !== user.id) throw new ForbiddenError('Only the user themselves can see their second factors');
        const status = await context.mfa.status(user.id);
        return {
          enabled: status.enabled,
          methods: status.methods,
          totpEnabled: status.totp.enabled,
          smsEnabled: status.sms.enabled,
          smsPhoneHint: status.sms.phone,
          backupCodesRemaining: status.backupCodesRemaining,
        };
      },
      createdAt: (user: IdentityRow) => user.createdAt.toISOString(),
    },
  };
}
