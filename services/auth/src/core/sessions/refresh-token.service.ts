import { randomUUID } from 'node:crypto';
import { coreErrors } from '../errors/core.errors';
import type { RefreshTokenRepository } from './refresh-token.repository';
import type { AuditLog } from '../audit/audit-log';
import type { Clock } from '../clock';
import type { SessionService } from './session.service';
import type { OpenedSession } from '../sign-in/complete-sign-in';
import { hashToken, looksLikeToken, mintToken } from '../tokens';

const REFRESH_TTL_SECONDS = 30 * 24 * 3600;

/**
 * Refresh tokens (docs/architecture.md, section 4): 30 days, rotated on every use, one family per sign-in.
 * Presenting a token that was already rotated is treated as theft: the whole family and the
 * sessions it was bound to are revoked.
 */
export function createRefreshTokenService(deps: {
  refreshTokens: RefreshTokenRepository;
  sessions: SessionService;
  audit: AuditLog;
  clock: Clock;
  ttlSeconds?: number;
}) {
  const ttlSeconds = deps.ttlSeconds ?? REFRESH_TTL_SECONDS;

  async function insert(userId: string, sessionId: string | null, familyId: string): Promise<string> {
    const token = mintToken('ref');
    const now = deps.clock.now();
    await deps.refreshTokens.insert({
      userId,
      sessionId,
      familyId,
      tokenHash: hashToken(token),
      expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
      now,
    });
    return token;
  }

  async function revokeFamily(familyId: string, userId: string, reason: string): Promise<void> {
    const sessionIds = await deps.refreshTokens.revokeFamily(familyId, deps.clock.now());
    for (const sessionId of sessionIds) await deps.sessions.revokeById(userId, sessionId, reason);
  }

  const invalidToken = coreErrors.invalidRefreshToken;

  /** Exchanges a live token for its successor in the same family; reuse of a rotated one revokes the family. */
  async function rotate(token: string): Promise<{ token: string; userId: string; sessionId: string | null; familyId: string }> {
    if (!looksLikeToken('ref', token)) throw invalidToken();
    const tokenHash = hashToken(token);
    const rotated = await deps.refreshTokens.markRotated(tokenHash, deps.clock.now());
    if (!rotated) {
      const known = await deps.refreshTokens.findByHash(tokenHash);
      if (known?.rotatedAt && !known.revokedAt) {
        await revokeFamily(known.familyId, known.userId, 'refresh_token_reuse');
        await deps.audit.record({
          type: 'refresh_token.reuse',
          outcome: 'failure',
          userId: known.userId,
          details: { family_id: known.familyId },
        });
      }
      throw invalidToken();
    }
    const successor = await insert(rotated.userId, rotated.sessionId, rotated.familyId);
    return { token: successor, userId: rotated.userId, sessionId: rotated.sessionId, familyId: rotated.familyId };
  }

  return {
    ttlSeconds,

    /** Starts a family for a new sign-in, bound to its session. */
    issue: (input: { userId: string; sessionId: string | null }) => insert(input.userId, input.sessionId, randomUUID()),

    rotate,

    /**
     * `POST /auth/refresh` with a refresh token: the token rotates and the session it is bound
     * to gets a new token and a full lifetime. A family whose session was revoked is dead.
     */
    async exchange(token: string): Promise<OpenedSession & { user: { id: string; email: string } }> {
      const rotated = await rotate(token);
      const renewed = rotated.sessionId ? await deps.sessions.renewById(rotated.sessionId) : null;
      if (!renewed) {
        await revokeFamily(rotated.familyId, rotated.userId, 'session_ended');
        throw invalidToken();
      }
      return {
        session: renewed,
        refreshToken: rotated.token,
        refreshExpiresIn: ttlSeconds,
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
