import { createHash, createHmac, randomUUID } from 'node:crypto';
import { coreErrors } from '../errors/core.errors';
import type { RequestMeta } from '../http/request-meta';
import { clientKeyOf } from '../rate-limit/rate-limit.policies';
import type { RefreshTokenRepository, RefreshTokenRow } from './refresh-token.repository';
import type { AuditLog } from '../audit/audit-log';
import type { Clock } from '../clock';
import type { SessionService } from './session.service';
import type { OpenedSession } from '../sign-in/complete-sign-in';
import { hashToken, looksLikeToken, mintToken } from '../tokens';

const REFRESH_TTL_SECONDS = 30 * 24 * 3600;

/** A refresh token handed out, and how long it works. */
export interface IssuedRefreshToken {
  token: string;
  expiresIn: number;
}

/**
 * Refresh tokens (docs/architecture.md, section 4): 30 days, rotated on every use, one family per
 * sign-in, and no family outlives its absolute lifetime (REFRESH_TOKEN_ABSOLUTE_LIFETIME_SECONDS).
 *
 * Presenting a token that was already rotated is treated as theft: the whole family and the
 * sessions it was bound to are revoked. Except within a short grace window
 * (REFRESH_TOKEN_REUSE_GRACE_SECONDS) for the client that rotated it (same address and user
 * agent), as Ory Hydra allows: an app that refreshed twice at once (two tabs, a retry after a
 * lost answer) gets the same successor both times rather than being signed out. That works
 * without storing any token: a successor is derived from the token it replaces with a server
 * key (HMAC), so every request presenting the same token within the window computes the same
 * successor refresh token and the same renewed session token.
 */
export function createRefreshTokenService(deps: {
  refreshTokens: RefreshTokenRepository;
  sessions: SessionService;
  audit: AuditLog;
  clock: Clock;
  /** Keys the derivation of successors (a server secret). */
  successorSecret: string;
  reuseGraceSeconds: number;
  familyLifetimeSeconds: number;
  ttlSeconds?: number;
}) {
  const ttlSeconds = deps.ttlSeconds ?? REFRESH_TTL_SECONDS;

  /** The token that replaces `token` on rotation (`ref`), and the session token it renews (`sess`). */
  const successorOf = (prefix: 'ref' | 'sess', token: string) =>
    `${prefix}_${createHmac('sha256', deps.successorSecret).update(`${prefix}-successor:${token}`).digest('base64url')}`;

  /** Who is rotating: the client's address (as rate limits group it) and its user agent. */
  const clientOf = (meta: RequestMeta) => createHash('sha256').update(`${meta.ip ? clientKeyOf(meta.ip) : ''}|${meta.userAgent ?? ''}`).digest('hex');

  /** A token of a family, minted but not yet stored; it ends 30 days from now or with its family, whichever is first. */
  function prepare(input: { token: string; userId: string; sessionId: string | null; familyId: string; familyExpiresAt: Date }) {
    const now = deps.clock.now();
    const expiresAt = new Date(Math.min(now.getTime() + ttlSeconds * 1000, input.familyExpiresAt.getTime()));
    const issued: IssuedRefreshToken = { token: input.token, expiresIn: Math.floor((expiresAt.getTime() - now.getTime()) / 1000) };
    return { issued, write: deps.refreshTokens.insertWrite({ ...input, tokenHash: hashToken(input.token), expiresAt, now }) };
  }

  /** Stores a token of a family (see `prepare`). */
  async function store(input: Parameters<typeof prepare>[0]): Promise<IssuedRefreshToken> {
    const { issued, write } = prepare(input);
    await write;
    return issued;
  }

  /** The first token of a new family for a new sign-in, bound to its session; not yet stored. */
  const prepareIssue = (input: { userId: string; sessionId: string | null }) =>
    prepare({
      token: mintToken('ref'),
      userId: input.userId,
      sessionId: input.sessionId,
      familyId: randomUUID(),
      familyExpiresAt: new Date(deps.clock.now().getTime() + deps.familyLifetimeSeconds * 1000),
    });

  /** The successor of a rotated token (derived, so every rotation of it stores the same row). */
  function storeSuccessor(rotated: RefreshTokenRow, token: string) {
    const familyExpiresAt = rotated.familyExpiresAt ?? new Date(rotated.createdAt.getTime() + deps.familyLifetimeSeconds * 1000);
    return store({ token: successorOf('ref', token), userId: rotated.userId, sessionId: rotated.sessionId, familyId: rotated.familyId, familyExpiresAt });
  }

  async function revokeFamily(familyId: string, userId: string, reason: string): Promise<void> {
    const sessionIds = await deps.refreshTokens.revokeFamily(familyId, deps.clock.now());
    for (const sessionId of sessionIds) await deps.sessions.revokeById(userId, sessionId, reason);
  }

  const invalidToken = coreErrors.invalidRefreshToken;

  /** A repeat of a rotation the same client made moments ago (the grace window). */
  function isGracefulRepeat(known: RefreshTokenRow, rotatedBy: string): boolean {
    if (deps.reuseGraceSeconds <= 0 || !known.rotatedAt || known.rotatedBy !== rotatedBy) return false;
    return deps.clock.now().getTime() - known.rotatedAt.getTime() <= deps.reuseGraceSeconds * 1000;
  }

  /**
   * Exchanges a live token for its successor in the same family. A rotated one is answered with
   * the same successor within the grace window, for the client that rotated it and while the
   * successor is unused; any other reuse revokes the family.
   */
  async function rotate(
    token: string,
    meta: RequestMeta = { ip: null, userAgent: null },
  ): Promise<IssuedRefreshToken & { userId: string; sessionId: string | null; familyId: string }> {
    if (!looksLikeToken('ref', token)) throw invalidToken();
    const tokenHash = hashToken(token);
    const rotatedBy = clientOf(meta);
    const rotated = await deps.refreshTokens.markRotated(tokenHash, deps.clock.now(), rotatedBy);
    if (rotated) return { ...(await storeSuccessor(rotated, token)), userId: rotated.userId, sessionId: rotated.sessionId, familyId: rotated.familyId };

    const known = await deps.refreshTokens.findByHash(tokenHash);
    if (!known?.rotatedAt || known.revokedAt) throw invalidToken();
    if (isGracefulRepeat(known, rotatedBy)) {
      // The first rotation may still be storing the successor: storing it again is harmless.
      const successor = await storeSuccessor(known, token);
      const stored = await deps.refreshTokens.findByHash(hashToken(successor.token));
      if (stored && !stored.rotatedAt && !stored.revokedAt) return { ...successor, userId: known.userId, sessionId: known.sessionId, familyId: known.familyId };
    }
    await revokeFamily(known.familyId, known.userId, 'refresh_token_reuse');
    await deps.audit.record({ type: 'refresh_token.reuse', outcome: 'failure', userId: known.userId, ...meta, details: { family_id: known.familyId } });
    throw invalidToken();
  }

  return {
    ttlSeconds,

    /** Starts a family for a new sign-in, bound to its session (it ends after the absolute lifetime): minted, stored with the sign-in. */
    prepareIssue,

    rotate,

    /**
     * `POST /auth/refresh` with a refresh token: the token rotates and the session it is bound
     * to gets a new token and a full lifetime. A family whose session was revoked is dead.
     */
    async exchange(token: string, meta?: RequestMeta): Promise<OpenedSession & { user: { id: string; email: string } }> {
      const rotated = await rotate(token, meta);
      const renewed = rotated.sessionId ? await deps.sessions.renewById(rotated.sessionId, successorOf('sess', token)) : null;
      if (!renewed) {
        await revokeFamily(rotated.familyId, rotated.userId, 'session_ended');
        throw invalidToken();
      }
      return {
        session: renewed,
        refreshToken: rotated.token,
        refreshExpiresIn: rotated.expiresIn,
        user: { id: renewed.session.userId, email: renewed.session.email },
      };
    },

    /**
     * RFC 7009: revokes the token's family (and the sessions it was bound to) when it is ours;
     * silently nothing otherwise. Returns whether something was revoked, for the audit trail.
     */
    async revoke(token: string): Promise<{ userId: string } | null> {
      if (!looksLikeToken('ref', token)) return null;
      const known = await deps.refreshTokens.findByHash(hashToken(token));
      if (!known || known.revokedAt) return null;
      await revokeFamily(known.familyId, known.userId, 'refresh_token_revoked');
      await deps.audit.record({ type: 'refresh_token.revoked', outcome: 'success', userId: known.userId, details: { family_id: known.familyId } });
      return { userId: known.userId };
    },
  };
}

export type RefreshTokenService = ReturnType<typeof createRefreshTokenService>;
