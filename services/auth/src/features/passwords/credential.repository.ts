import { eq, sql } from 'drizzle-orm';
import type { AuthDb, AuthTransaction } from '../../core/db';
import { passwordCredentials, passwordFailures } from './password.tables';

export interface FailureState {
  failures: number;
  lockedUntil: Date | null;
}

/** Password hashes and the per-email failure counters of password sign-in. */
export function createCredentialRepository(db: AuthDb) {
  return {
    async findPasswordHash(userId: string): Promise<string | null> {
      const [row] = await db
        .select({ hash: passwordCredentials.hash })
        .from(passwordCredentials)
        .where(eq(passwordCredentials.userId, userId))
        .limit(1);
      return row?.hash ?? null;
    },

    /** Removes a user's password; true when there was one. */
    async deletePassword(userId: string): Promise<boolean> {
      const rows = await db.delete(passwordCredentials).where(eq(passwordCredentials.userId, userId)).returning({ userId: passwordCredentials.userId });
      return rows.length > 0;
    },

    /** The first password of an identity being created, inside the transaction that creates it. */
    async insertWithin(tx: AuthTransaction, userId: string, hash: string, createdAt: Date): Promise<void> {
      await tx.insert(passwordCredentials).values({ userId, hash, createdAt, updatedAt: createdAt });
    },

    /** Sets (or replaces) the password of a user. */
    async setPasswordHash(userId: string, hash: string, now: Date): Promise<void> {
      await db
        .insert(passwordCredentials)
        .values({ userId, hash, createdAt: now, updatedAt: now })
        .onConflictDoUpdate({ target: passwordCredentials.userId, set: { hash, updatedAt: now } });
    },

    /** Swaps a hash for its rehash, unless the password changed meanwhile. */
    async replacePasswordHash(userId: string, oldHash: string, newHash: string, now: Date): Promise<void> {
      await db
        .update(passwordCredentials)
        .set({ hash: newHash, updatedAt: now })
        .where(sql`${passwordCredentials.userId} = ${userId} and ${passwordCredentials.hash} = ${oldHash}`);
    },

    async findFailures(emailHash: string): Promise<FailureState | null> {
      const [row] = await db
        .select({ failures: passwordFailures.failures, lockedUntil: passwordFailures.lockedUntil })
        .from(passwordFailures)
        .where(eq(passwordFailures.emailHash, emailHash))
        .limit(1);
      return row ?? null;
    },

    /**
     * Counts one failure in a single atomic upsert and, from `threshold` failures on, locks for
     * `base * 2^(failures - threshold)` seconds capped at `max`. Parallel failures each get
     * their own increment: none is lost, so parallel guessing cannot slip past the threshold.
     * A counter idle for `forgetAfterSeconds` starts again from one.
     */
    async recordFailure(
      emailHash: string,
      now: Date,
      policy: { threshold: number; baseSeconds: number; maxSeconds: number; forgetAfterSeconds: number },
    ): Promise<FailureState & { lockStarted: boolean }> {
      const forgetBefore = new Date(now.getTime() - policy.forgetAfterSeconds * 1000);
      const result = await db.execute<{ failures: number; locked_until: Date | string | null }>(sql`
        insert into password_failures (email_hash, failures, locked_until, last_failed_at)
        values (${emailHash}, 1, ${policy.threshold <= 1 ? new Date(now.getTime() + policy.baseSeconds * 1000) : null}, ${now})
        on conflict (email_hash) do update set
          failures = case when password_failures.last_failed_at < ${forgetBefore} then 1 else password_failures.failures + 1 end,
          last_failed_at = excluded.last_failed_at,
          locked_until = case
            when (case when password_failures.last_failed_at < ${forgetBefore} then 1 else password_failures.failures + 1 end) >= ${policy.threshold}
            then ${now}::timestamptz + make_interval(secs => least(${policy.maxSeconds}::float8,
              ${policy.baseSeconds}::float8 * power(2, least(30, (case when password_failures.last_failed_at < ${forgetBefore} then 1 else password_failures.failures + 1 end) - ${policy.threshold}))))
            else password_failures.locked_until
          end
        returning failures, locked_until
      `);
      const row = result.rows[0]!;
      const lockedUntil = row.locked_until ? new Date(row.locked_until) : null;
      return { failures: Number(row.failures), lockedUntil, lockStarted: Number(row.failures) >= policy.threshold };
    },

    async clearFailures(emailHash: string): Promise<void> {
      await db.delete(passwordFailures).where(eq(passwordFailures.emailHash, emailHash));
    },
  };
}

export type CredentialRepository = ReturnType<typeof createCredentialRepository>;
