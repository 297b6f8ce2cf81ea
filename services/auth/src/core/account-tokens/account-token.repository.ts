import { and, eq, gt, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { AuthDb } from '../db';
import { accountTokens } from './account-token.tables';

/** A token that can still be redeemed: not consumed, not expired. */
const tokenIsLive = (now: Date) => and(isNull(accountTokens.consumedAt), gt(accountTokens.expiresAt, now));

export type AccountTokenPurpose = (typeof accountTokens.purpose.enumValues)[number];
export type AccountTokenRow = typeof accountTokens.$inferSelect;

/** Emailed one-time tokens (verification, reset, email change); only hashes are stored. */
export function createAccountTokenRepository(db: AuthDb) {
  return {
    /**
     * Issues a token and retires every earlier unconsumed token of the same purpose for that
     * user in one transaction, so only the newest email works.
     */
    async issue(input: {
      userId: string;
      purpose: AccountTokenPurpose;
      tokenHash: string;
      codeHash?: string | null;
      email?: string | null;
      sessionId?: string | null;
      expiresAt: Date;
      now: Date;
    }): Promise<void> {
      await db.transaction(async (tx) => {
        await tx
          .update(accountTokens)
          .set({ consumedAt: input.now })
          .where(and(eq(accountTokens.userId, input.userId), eq(accountTokens.purpose, input.purpose), isNull(accountTokens.consumedAt)));
        await tx.insert(accountTokens).values({
          userId: input.userId,
          purpose: input.purpose,
          tokenHash: input.tokenHash,
          codeHash: input.codeHash ?? null,
          email: input.email ?? null,
          sessionId: input.sessionId ?? null,
          expiresAt: input.expiresAt,
          createdAt: input.now,
        });
      });
    },

    /** A live (unconsumed, unexpired) token by its hash, without consuming it. */
    async findLive(purpose: AccountTokenPurpose, tokenHash: string, now: Date): Promise<AccountTokenRow | null> {
      const [row] = await db
        .select()
        .from(accountTokens)
        .where(
          and(
            eq(accountTokens.tokenHash, tokenHash),
            eq(accountTokens.purpose, purpose),
            tokenIsLive(now),
          ),
        )
        .limit(1);
      return row ?? null;
    },

    /** Single use: of any number of parallel redemptions of one token, exactly one gets the row. */
    async consume(purpose: AccountTokenPurpose, tokenHash: string, now: Date): Promise<AccountTokenRow | null> {
      const [row] = await db
        .update(accountTokens)
        .set({ consumedAt: now })
        .where(
          and(
            eq(accountTokens.tokenHash, tokenHash),
            eq(accountTokens.purpose, purpose),
            tokenIsLive(now),
          ),
        )
        .returning();
      return row ?? null;
    },

    /**
     * Spends one code attempt on the user's live token of `purpose`, atomically, and returns it
     * (with its code hash to compare) only while attempts remain: parallel guesses cannot get
     * past `maxAttempts`.
     */
    async spendCodeAttempt(userId: string, purpose: AccountTokenPurpose, maxAttempts: number, now: Date): Promise<AccountTokenRow | null> {
      const [row] = await db
        .update(accountTokens)
        .set({ attempts: sql`${accountTokens.attempts} + 1` })
        .where(
          and(
            eq(accountTokens.userId, userId),
            eq(accountTokens.purpose, purpose),
            tokenIsLive(now),
            lt(accountTokens.attempts, maxAttempts),
          ),
        )
        .returning();
      return row ?? null;
    },

    async consumeById(id: string, now: Date): Promise<AccountTokenRow | null> {
      const [row] = await db
        .update(accountTokens)
        .set({ consumedAt: now })
        .where(and(eq(accountTokens.id, id), isNull(accountTokens.consumedAt)))
        .returning();
      return row ?? null;
    },

    /**
     * Retires every unconsumed token of the user (of the given purposes, or all): pending email
     * changes, resets and verifications die together when someone else's access is retired.
     */
    async retireAllForUser(userId: string, now: Date, purposes?: AccountTokenPurpose[]): Promise<number> {
      const rows = await db
        .update(accountTokens)
        .set({ consumedAt: now })
        .where(
          and(
            eq(accountTokens.userId, userId),
            isNull(accountTokens.consumedAt),
            purposes ? inArray(accountTokens.purpose, purposes) : undefined,
          ),
        )
        .returning({ id: accountTokens.id });
      return rows.length;
    },

    /** Retires every live token of a purpose, e.g. outstanding reset links once the password changed. */
    async retireAll(userId: string, purpose: AccountTokenPurpose, now: Date): Promise<void> {
      await db
        .update(accountTokens)
        .set({ consumedAt: now })
        .where(and(eq(accountTokens.userId, userId), eq(accountTokens.purpose, purpose), isNull(accountTokens.consumedAt)));
    },
  };
}

export type AccountTokenRepository = ReturnType<typeof createAccountTokenRepository>;
