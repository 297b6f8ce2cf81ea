import { and, desc, eq, gt, inArray, isNull, lt, ne, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { isUuid } from '@malet/database';
import type { AuthDb } from '../db';
import { identities } from '../identities/identity.tables';
import { sessions } from './session.tables';

/** A session that still signs its holder in: not revoked, not expired. */
const sessionIsLive = (now: Date | SQLWrapper) => and(isNull(sessions.revokedAt), gt(sessions.expiresAt, now));

export type SessionKind = 'web' | 'mobile';

/** A session's last-seen time is written at most this often. */
export const LAST_SEEN_INTERVAL_MS = 60_000;

/** Whether `touch` would write: last seen more than the interval before `now`. */
export const lastSeenIsStale = (session: Pick<ActiveSession, 'lastSeenAt'>, now: Date) => now.getTime() - session.lastSeenAt.getTime() > LAST_SEEN_INTERVAL_MS;

export interface ActiveSession {
  id: string;
  userId: string;
  /** Web (cookie, 24 h) or mobile (token exchange, 15 min): each kind keeps its own lifetime. */
  kind: SessionKind;
  email: string;
  roles: string[];
  amr: string[];
  expiresAt: Date;
  lastSeenAt: Date;
  /**
   * When its holder last proved who they are: signing in, or re-authenticating in this session
   * (password or second factor). A sliding refresh or refresh-token exchange keeps it.
   */
  signedInAt: Date;
}

/** The organization and connection a single sign-on session came through (SAML). */
export interface SingleSignOnOrigin {
  organizationId: string;
  connectionId: string;
}

export interface SessionListing {
  id: string;
  kind: SessionKind;
  amr: string[];
  ip: string | null;
  userAgent: string | null;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
}

export interface NewSession {
  /** Minted by the caller, so writes stored beside the session can name it. */
  id: string;
  userId: string;
  tokenHash: string;
  expiresAt: Date;
  amr: string[];
  ip: string | null;
  userAgent: string | null;
  kind?: SessionKind;
  sso?: SingleSignOnOrigin;
  /** The service clock's now: when its holder signed in (`recent` access reads it). */
  now: Date;
}

export function createSessionRepository(db: AuthDb) {
  /** Revokes the user's sessions not yet revoked (but `exceptSessionId`) that match `also`. */
  const revokeUnrevoked = (userId: string, reason: string, now: Date, exceptSessionId?: string, also: SQL = sql`true`) =>
    db
      .update(sessions)
      .set({ revokedAt: now, revokeReason: reason })
      .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), exceptSessionId ? ne(sessions.id, exceptSessionId) : sql`true`, also))
      .returning({ id: sessions.id, tokenHash: sessions.tokenHash });

  const activeColumns = {
    id: sessions.id,
    userId: sessions.userId,
    kind: sessions.kind,
    email: identities.email,
    roles: identities.roles,
    amr: sessions.amr,
    expiresAt: sessions.expiresAt,
    lastSeenAt: sessions.lastSeenAt,
    signedInAt: sql<Date>`greatest(${sessions.createdAt}, ${sessions.reauthenticatedAt})`.mapWith(sessions.createdAt),
  };

  // A session validation (every credential a gateway has not cached) is this read and, once a
  // minute, this write. drizzle building them anew each time was a fifth of auth's CPU per
  // validation, so both are built once. Placeholders travel as given, not through the column's
  // encoder: timestamps are passed as ISO strings, as the encoder would send them.
  const findActiveStatement = db
    .select(activeColumns)
    .from(sessions)
    .innerJoin(identities, eq(identities.id, sessions.userId))
    .where(and(eq(sessions.tokenHash, sql.placeholder('tokenHash')), sessionIsLive(sql.placeholder('now'))))
    .limit(1)
    .prepare('auth_find_active_session');
  const touchStatement = db
    .update(sessions)
    .set({ lastSeenAt: sql`${sql.placeholder('now')}` })
    .where(and(eq(sessions.id, sql.placeholder('sessionId')), lt(sessions.lastSeenAt, sql.placeholder('staleBefore'))))
    .prepare('auth_touch_session');

  return {
    /** A session's insert with its id, not yet sent: alone, or with the rest of a sign-in (`writeTogether`). */
    insertWrite(input: NewSession) {
      const { now, sso, ...values } = input;
      return db.insert(sessions).values({
        ...values,
        createdAt: now,
        lastSeenAt: now,
        userAgent: input.userAgent?.slice(0, 512) ?? null,
        ssoOrganizationId: sso?.organizationId ?? null,
        ssoConnectionId: sso?.connectionId ?? null,
      });
    },

    /** The live session behind a token hash: not revoked, not expired at `now`. */
    async findActiveByTokenHash(tokenHash: string, now: Date): Promise<ActiveSession | null> {
      const [row] = await findActiveStatement.execute({ tokenHash, now: now.toISOString() });
      return row ?? null;
    },

    /** Last-seen is written at most once a minute per session, so validation stays a read. */
    async touch(sessionId: string, now: Date): Promise<void> {
      await touchStatement.execute({ sessionId, now: now.toISOString(), staleBefore: new Date(now.getTime() - LAST_SEEN_INTERVAL_MS).toISOString() });
    },

    /** Swaps the token of a live session (sliding refresh); null when it is no longer live. */
    async rotate(input: { tokenHash: string; newTokenHash: string; expiresAt: Date; now: Date }): Promise<{ id: string } | null> {
      const [row] = await db
        .update(sessions)
        .set({ tokenHash: input.newTokenHash, expiresAt: input.expiresAt, lastSeenAt: input.now })
        .where(and(eq(sessions.tokenHash, input.tokenHash), sessionIsLive(input.now)))
        .returning({ id: sessions.id });
      return row ?? null;
    },

    /**
     * Gives a session that was not revoked a new token and an expiry for its kind, even when it
     * had expired (a refresh token outlives its session). Returns the session and the replaced
     * token's hash, null when the session already has that token (a repeated renewal changes nothing).
     */
    async renewById(input: {
      id: string;
      newTokenHash: string;
      expiresAtFor: (kind: SessionKind) => Date;
      now: Date;
    }): Promise<{ session: ActiveSession; oldTokenHash: string | null } | null> {
      if (!isUuid(input.id)) return null;
      return db.transaction(async (tx) => {
        const [current] = await tx
          .select({ tokenHash: sessions.tokenHash, kind: sessions.kind })
          .from(sessions)
          .where(and(eq(sessions.id, input.id), isNull(sessions.revokedAt)))
          .for('update');
        if (!current) return null;
        const renewing = current.tokenHash !== input.newTokenHash;
        if (renewing) {
          await tx
            .update(sessions)
            .set({ tokenHash: input.newTokenHash, expiresAt: input.expiresAtFor(current.kind), lastSeenAt: input.now })
            .where(eq(sessions.id, input.id));
        }
        const [session] = await tx
          .select(activeColumns)
          .from(sessions)
          .innerJoin(identities, eq(identities.id, sessions.userId))
          .where(eq(sessions.id, input.id));
        return session ? { session, oldTokenHash: renewing ? current.tokenHash : null } : null;
      });
    },

    /** Revokes by token hash; returns the id of the session it revoked, or null. */
    async revokeByTokenHash(tokenHash: string, reason: string, now: Date): Promise<string | null> {
      const [row] = await db
        .update(sessions)
        .set({ revokedAt: now, revokeReason: reason })
        .where(and(eq(sessions.tokenHash, tokenHash), isNull(sessions.revokedAt)))
        .returning({ id: sessions.id });
      return row?.id ?? null;
    },

    /** Users' live sessions (at most 200 each), most recently seen first, with what the session list shows; one query for all. */
    async listActiveForUsers(userIds: readonly string[], now: Date): Promise<Map<string, SessionListing[]>> {
      const byUser = new Map<string, SessionListing[]>(userIds.map((id) => [id, []]));
      const valid = userIds.filter(isUuid);
      if (valid.length === 0) return byUser;
      const rows = await db
        .select({
          userId: sessions.userId,
          id: sessions.id,
          kind: sessions.kind,
          amr: sessions.amr,
          ip: sessions.ip,
          userAgent: sessions.userAgent,
          createdAt: sessions.createdAt,
          lastSeenAt: sessions.lastSeenAt,
          expiresAt: sessions.expiresAt,
        })
        .from(sessions)
        .where(and(inArray(sessions.userId, valid), sessionIsLive(now)))
        .orderBy(desc(sessions.lastSeenAt), desc(sessions.createdAt));
      for (const { userId, ...listing } of rows) {
        const list = byUser.get(userId)!;
        if (list.length < 200) list.push(listing);
      }
      return byUser;
    },

    /** Revokes one session of a user by id; the token hash when it was live, null otherwise. */
    async revokeByIdForUser(sessionId: string, userId: string, reason: string, now: Date): Promise<string | null> {
      if (!isUuid(sessionId)) return null;
      const [row] = await db
        .update(sessions)
        .set({ revokedAt: now, revokeReason: reason })
        .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId), isNull(sessions.revokedAt)))
        .returning({ tokenHash: sessions.tokenHash });
      return row?.tokenHash ?? null;
    },

    /** Records that the session's holder just proved who they are again (re-authentication). */
    async markReauthenticated(sessionId: string, now: Date): Promise<void> {
      await db.update(sessions).set({ reauthenticatedAt: now }).where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
    },

    /**
     * Revokes a user's live sessions that never passed a second factor (`mfa` not in their
     * `amr`), except one; returns the revoked sessions' ids and token hashes.
     */
    revokeWithoutSecondFactor(userId: string, reason: string, now: Date, exceptSessionId: string | null): Promise<{ id: string; tokenHash: string }[]> {
      return revokeUnrevoked(userId, reason, now, exceptSessionId ?? undefined, sql`not ('mfa' = any(${sessions.amr}))`);
    },

    /** Revokes every live session of a user except one; returns the revoked token hashes. */
    async revokeAllForUser(userId: string, reason: string, now: Date, exceptSessionId?: string): Promise<string[]> {
      return (await revokeUnrevoked(userId, reason, now, exceptSessionId)).map((row) => row.tokenHash);
    },
  };
}

export type SessionRepository = ReturnType<typeof createSessionRepository>;
