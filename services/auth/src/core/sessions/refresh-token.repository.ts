import { and, eq, isNull, ne, or, sql } from 'drizzle-orm';
import type { AuthDb } from '../db';
import { refreshTokens } from './session.tables';

export type RefreshTokenRow = typeof refreshTokens.$inferSelect;

export interface NewRefreshToken {
  userId: string;
  sessionId: string | null;
  familyId: string;
  tokenHash: string;
  expiresAt: Date;
  familyExpiresAt: Date;
  now: Date;
}

export function createRefreshTokenRepository(db: AuthDb) {
  const insertWrite = (input: NewRefreshToken) => {
    const { now, ...values } = input;
    return db
      .insert(refreshTokens)
      .values({ ...values, createdAt: now })
      .onConflictDoNothing({ target: refreshTokens.tokenHash });
  };

  return {
    /**
     * Stores a token when sent (alone, or with the rest of a sign-in: `writeTogether`); a
     * successor that a parallel rotation already stored is left as it is.
     */
    insertWrite,

    async findByHash(tokenHash: string): Promise<RefreshTokenRow | null> {
      const [row] = await db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, tokenHash)).limit(1);
      return row ?? null;
    },

    /** Marks a live token rotated by `rotatedBy`; exactly one of parallel rotations gets the row. */
    async markRotated(tokenHash: string, now: Date, rotatedBy: string): Promise<RefreshTokenRow | null> {
      const [row] = await db
        .update(refreshTokens)
        .set({ rotatedAt: now, rotatedBy })
        .where(
          and(
            eq(refreshTokens.tokenHash, tokenHash),
            isNull(refreshTokens.rotatedAt),
            isNull(refreshTokens.revokedAt),
            sql`${refreshTokens.expiresAt} > ${now}`,
          ),
        )
        .returning();
      return row ?? null;
    },

    /** Revokes every token of a family; returns the sessions they were bound to. */
    async revokeFamily(familyId: string, now: Date): Promise<string[]> {
      const rows = await db
        .update(refreshTokens)
        .set({ revokedAt: now })
        .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)))
        .returning({ sessionId: refreshTokens.sessionId });
      return [...new Set(rows.map((row) => row.sessionId).filter((id): id is string => id !== null))];
    },

    /** Revokes every live token of a user, except those bound to `exceptSessionId`. */
    async revokeAllForUser(userId: string, now: Date, exceptSessionId?: string): Promise<number> {
      const rows = await db
        .update(refreshTokens)
        .set({ revokedAt: now })
        .where(
          and(
            eq(refreshTokens.userId, userId),
            isNull(refreshTokens.revokedAt),
            exceptSessionId ? or(isNull(refreshTokens.sessionId), ne(refreshTokens.sessionId, exceptSessionId)) : sql`true`,
          ),
        )
        .returning({ id: refreshTokens.id });
      return rows.length;
    },

    async revokeForSession(sessionId: string, now: Date): Promise<void> {
      await db
        .update(refreshTokens)
        .set({ revokedAt: now })
        .where(and(eq(refreshTokens.sessionId, sessionId), isNull(refreshTokens.revokedAt)));
    },
  };
}

export type RefreshTokenRepository = ReturnType<typeof createRefreshTokenRepository>;
