import { and, desc, eq, gt, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { AuthDb } from '../db';
import { loginChallenges } from './login-challenge.tables';

/** A challenge that can still be answered: not consumed, not expired. */
const challengeIsLive = (now: Date) => and(isNull(loginChallenges.consumedAt), gt(loginChallenges.expiresAt, now));

export type ChallengeKind = (typeof loginChallenges.kind.enumValues)[number];

export interface NewChallenge {
  id: string;
  kind: ChallengeKind;
  email: string;
  secretHash: string;
  maxAttempts: number;
  expiresAt: Date;
  returnTo?: string | null;
  ip: string | null;
  userAgent: string | null;
}

/** A live challenge after one attempt was counted against it. */
export interface CountedAttempt {
  id: string;
  secretHash: string;
  attempts: number;
  maxAttempts: number;
}

/**
 * Login challenges (email OTP codes, magic-link tokens). Every state change is one conditional
 * UPDATE, so concurrent requests are serialised by PostgreSQL's row lock and re-check the
 * condition on the row they finally see: parallel guesses cannot exceed `max_attempts`, and two
 * correct submissions cannot both consume a challenge.
 */
export function createChallengeRepository(db: AuthDb) {
  return {
    /** Stores a challenge; with `supersede`, older live challenges of that kind and email die first. */
    async insert(challenge: NewChallenge, options: { supersede: boolean; now: Date }): Promise<void> {
      await db.transaction(async (tx) => {
        if (options.supersede) {
          await tx
            .update(loginChallenges)
            .set({ expiresAt: options.now })
            .where(
              and(
                eq(loginChallenges.kind, challenge.kind),
                eq(loginChallenges.email, challenge.email),
                challengeIsLive(options.now),
              ),
            );
        }
        await tx.insert(loginChallenges).values({ ...challenge, userAgent: challenge.userAgent?.slice(0, 512) ?? null });
      });
    },

    /**
     * Counts one attempt against the newest live challenge of `kind` for `email` and returns it,
     * or null when there is none or its attempts are used up. The count happens before the
     * caller compares anything: a guess that is never counted cannot be made.
     */
    async countAttemptOnLatest(kind: ChallengeKind, email: string, now: Date): Promise<CountedAttempt | null> {
      const latest = db
        .select({ id: loginChallenges.id })
        .from(loginChallenges)
        .where(
          and(
            eq(loginChallenges.kind, kind),
            eq(loginChallenges.email, email),
            challengeIsLive(now),
          ),
        )
        .orderBy(desc(loginChallenges.createdAt))
        .limit(1);
      const [row] = await db
        .update(loginChallenges)
        .set({ attempts: sql`${loginChallenges.attempts} + 1` })
        .where(
          and(
            inArray(loginChallenges.id, latest),
            lt(loginChallenges.attempts, loginChallenges.maxAttempts),
            challengeIsLive(now),
          ),
        )
        .returning({
          id: loginChallenges.id,
          secretHash: loginChallenges.secretHash,
          attempts: loginChallenges.attempts,
          maxAttempts: loginChallenges.maxAttempts,
        });
      return row ?? null;
    },

    /** Marks a challenge used; false when another request consumed it first or it died meanwhile. */
    async consume(id: string, now: Date): Promise<boolean> {
      const rows = await db
        .update(loginChallenges)
        .set({ consumedAt: now })
        .where(and(eq(loginChallenges.id, id), challengeIsLive(now)))
        .returning({ id: loginChallenges.id });
      return rows.length > 0;
    },

    /** Deletes challenges that expired before `before` (the audit log keeps their story); returns how many. */
    async purgeExpired(before: Date, batch = 1000): Promise<number> {
      const doomed = db.select({ id: loginChallenges.id }).from(loginChallenges).where(lt(loginChallenges.expiresAt, before)).limit(batch);
      const rows = await db.delete(loginChallenges).where(inArray(loginChallenges.id, doomed)).returning({ id: loginChallenges.id });
      return rows.length;
    },

    /** Finds and consumes a live challenge by its secret's hash in one statement (magic links). */
    async consumeBySecretHash(
      kind: ChallengeKind,
      secretHash: string,
      now: Date,
    ): Promise<{ id: string; email: string; returnTo: string | null } | null> {
      const [row] = await db
        .update(loginChallenges)
        .set({ consumedAt: now, attempts: sql`${loginChallenges.attempts} + 1` })
        .where(
          and(
            eq(loginChallenges.kind, kind),
            eq(loginChallenges.secretHash, secretHash),
            challengeIsLive(now),
            lt(loginChallenges.attempts, loginChallenges.maxAttempts),
          ),
        )
        .returning({ id: loginChallenges.id, email: loginChallenges.email, returnTo: loginChallenges.returnTo });
      return row ?? null;
    },
  };
}

export type ChallengeRepository = ReturnType<typeof createChallengeRepository>;
