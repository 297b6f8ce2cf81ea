import { randomUUID } from 'node:crypto';
import { coreErrors } from '../errors/core.errors';
import type { RefreshTokenRepository } from './refresh-token.repository';
import { lastSeenIsStale, type ActiveSession, type SessionKind, type SessionListing, type SessionRepository, type SingleSignOnOrigin } from './session.repository';
import type { Clock } from '../clock';
import { hashToken, looksLikeToken, mintToken } from '../tokens';

/** Announces revoked token hashes to every gateway process (Redis pub/sub in production). */
export interface RevocationPublisher {
  publish(tokenHashes: string[]): Promise<void>;
}

export interface SessionMeta {
  ip: string | null;
  userAgent: string | null;
}

export interface IssuedSession {
  token: string;
  sessionId: string;
  expiresAt: Date;
  /** The lifetime it was given: its kind's (`expires_in` of the answer). */
  ttlSeconds: number;
}

/** Mobile sessions are short (the app holds a 30-day refresh token to renew them): 15 minutes. */
export const MOBILE_SESSION_TTL_SECONDS = 900;

export function createSessionService(deps: {
  sessions: SessionRepository;
  /** A session that ends takes the refresh tokens bound to it along (logout "revokes associated tokens"). */
  refreshTokens: Pick<RefreshTokenRepository, 'revokeForSession' | 'revokeAllForUser'>;
  revocations: RevocationPublisher;
  clock: Clock;
  ttlSeconds: number;
}) {
  const { sessions, revocations, clock, ttlSeconds } = deps;
  const ttlFor = (kind: SessionKind) => (kind === 'mobile' ? MOBILE_SESSION_TTL_SECONDS : ttlSeconds);
  const expiryFrom = (now: Date, kind: SessionKind) => new Date(now.getTime() + ttlFor(kind) * 1000);

  /**
   * A new session, minted but not yet stored: `write` stores it (alone, or in one statement with
   * the rest of a sign-in); the id is minted here so that other writes can reference it.
   */
  function prepareIssue(input: { userId: string; amr: string[]; kind?: SessionKind; sso?: SingleSignOnOrigin } & SessionMeta) {
    const token = mintToken('sess');
    const kind = input.kind ?? 'web';
    const now = clock.now();
    const expiresAt = expiryFrom(now, kind);
    const id = randomUUID();
    const issued: IssuedSession = { token, sessionId: id, expiresAt, ttlSeconds: ttlFor(kind) };
    return { issued, write: sessions.insertWrite({ ...input, id, kind, tokenHash: hashToken(token), expiresAt, now }) };
  }

  async function issue(input: { userId: string; amr: string[]; kind?: SessionKind; sso?: SingleSignOnOrigin } & SessionMeta): Promise<IssuedSession> {
    const { issued, write } = prepareIssue(input);
    await write;
    return issued;
  }

  /** The live session for a token, or null; never throws for a bad token. */
  async function findActive(token: string): Promise<ActiveSession | null> {
    if (!looksLikeToken('sess', token)) return null;
    const now = clock.now();
    const session = await sessions.findActiveByTokenHash(hashToken(token), now);
    // The read brought last-seen along: a session seen within the interval needs no second
    // round trip, whose update would change nothing (a sign-in validated at once, or a second
    // gateway worker validating the same session).
    if (session && lastSeenIsStale(session, now)) await sessions.touch(session.id, now);
    return session;
  }

  async function getActiveOrThrow(token: string | undefined): Promise<ActiveSession> {
    const session = token ? await findActive(token) : null;
    if (!session) throw coreErrors.invalidSession();
    return session;
  }

  /** Sliding refresh: the session keeps its id and gets a new token and a full lifetime. */
  async function refresh(token: string): Promise<IssuedSession & { session: ActiveSession }> {
    const session = await getActiveOrThrow(token);
    const now = clock.now();
    const newToken = mintToken('sess');
    const expiresAt = expiryFrom(now, session.kind);
    const oldHash = hashToken(token);
    const rotated = await sessions.rotate({ tokenHash: oldHash, newTokenHash: hashToken(newToken), expiresAt, now });
    if (!rotated) throw coreErrors.invalidSession();
    await revocations.publish([oldHash]);
    return { token: newToken, sessionId: session.id, expiresAt, ttlSeconds: ttlFor(session.kind), session: { ...session, expiresAt } };
  }

  /**
   * A refresh-token exchange: the bound session gets `token` (derived from the refresh token, so
   * a repeated exchange within the grace window renews to the same token) and a full lifetime
   * (expired sessions included; revoked ones never come back). The old token stops working
   * everywhere.
   */
  async function renewById(sessionId: string, token: string): Promise<(IssuedSession & { session: ActiveSession }) | null> {
    const now = clock.now();
    const renewed = await sessions.renewById({ id: sessionId, newTokenHash: hashToken(token), expiresAtFor: (kind) => expiryFrom(now, kind), now });
    if (!renewed) return null;
    if (renewed.oldTokenHash) await revocations.publish([renewed.oldTokenHash]);
    const { session } = renewed;
    return { token, sessionId, expiresAt: session.expiresAt, ttlSeconds: ttlFor(session.kind), session };
  }

  /** Ends the session behind a token; the revocation reaches every gateway. */
  async function revoke(token: string, reason: string): Promise<boolean> {
    if (!looksLikeToken('sess', token)) return false;
    const tokenHash = hashToken(token);
    const now = clock.now();
    const revokedId = await sessions.revokeByTokenHash(tokenHash, reason, now);
    if (revokedId) {
      await deps.refreshTokens.revokeForSession(revokedId, now);
      await revocations.publish([tokenHash]);
    }
    return revokedId !== null;
  }

  async function revokeAllForUser(userId: string, reason: string, exceptSessionId?: string): Promise<number> {
    const now = clock.now();
    const hashes = await sessions.revokeAllForUser(userId, reason, now, exceptSessionId);
    await deps.refreshTokens.revokeAllForUser(userId, now, exceptSessionId);
    if (hashes.length) await revocations.publish(hashes);
    return hashes.length;
  }

  /**
   * After a second factor is enrolled: the sessions that never passed one end (with their
   * refresh tokens), except `exceptSessionId` (the one enrolling). Returns how many ended.
   */
  async function revokeWithoutSecondFactor(userId: string, exceptSessionId: string | null): Promise<number> {
    const now = clock.now();
    const revoked = await sessions.revokeWithoutSecondFactor(userId, 'second_factor_enrolled', now, exceptSessionId);
    for (const { id } of revoked) await deps.refreshTokens.revokeForSession(id, now);
    if (revoked.length) await revocations.publish(revoked.map((row) => row.tokenHash));
    return revoked.length;
  }

  /** The holder of a live session just proved who they are again: `recent` routes open for it. */
  async function markReauthenticated(sessionId: string): Promise<void> {
    await sessions.markReauthenticated(sessionId, clock.now());
  }

  /** The user's live sessions (REST and GraphQL session lists). */
  async function listForUser(userId: string): Promise<SessionListing[]> {
    return (await listForUsers([userId])).get(userId) ?? [];
  }

  /** Several users' live sessions in one query (a GraphQL request's loader). */
  async function listForUsers(userIds: readonly string[]): Promise<Map<string, SessionListing[]>> {
    return sessions.listActiveForUsers(userIds, clock.now());
  }

  /** Revokes one of the user's own sessions by id; false when it is not theirs or not live. */
  async function revokeById(userId: string, sessionId: string, reason: string): Promise<boolean> {
    const now = clock.now();
    const tokenHash = await sessions.revokeByIdForUser(sessionId, userId, reason, now);
    if (tokenHash) {
      await deps.refreshTokens.revokeForSession(sessionId, now);
      await revocations.publish([tokenHash]);
    }
    return tokenHash !== null;
  }

  return {
    issue,
    prepareIssue,
    findActive,
    getActiveOrThrow,
    refresh,
    renewById,
    revoke,
    revokeAllForUser,
    revokeWithoutSecondFactor,
    markReauthenticated,
    listForUser,
    listForUsers,
    revokeById,
    ttlSeconds,
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
