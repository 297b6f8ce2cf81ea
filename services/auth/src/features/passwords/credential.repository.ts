import { eq, sql, type SQL } from 'drizzle-orm';
import { identities } from '../../core/identities/identity.tables';
import type { AuthDb, AuthTransaction } from '../../core/db';
import { passwordCredentials, passwordFailures } from './password.tables';

export interface FailureState {
  failures: number;
  lockedUntil: Date | null;
}

/** The counters a password attempt may count on, and the SQL telling which one applies. */
export interface FailureKeys {
  /** Everyone's counter for the address. */
  strangers: string;
  /** The client's own counter for the address, when the client may have one. */
  ownClient: string | null;
  /** Whether the client is known to the address (then its own counter applies). */
  knownClient: SQL<boolean>;
}

/** Everything a password sign-in reads before it verifies: one query. */
export interface PasswordSignInState {
  identity: { id: string; email: string; emailVerifiedAt: Date | null } | null;
  hash: string | null;
  knownClient: boolean;
  strangers: FailureState | null;
  ownClient: FailureState | null;
}

const dateOf = (value: Date | string | null) => (value === null ? null : new Date(value));
const failureStateOf = (failures: number | null, lockedUntil: Date | string | null): FailureState | null =>
  failures === null ? null : { failures: Number(failures), lockedUntil: dateOf(lockedUntil) };

/** Password hashes and the per-email failure counters of password sign-in. */
export function createCredentialRepository(db: AuthDb) {
  const clearFailuresWrite = (emailHash: string) => db.delete(passwordFailures).where(eq(passwordFailures.emailHash, emailHash));

  return {
    /**
     * The account behind `email` with its password hash, whether the client is known to the
     * address and both failure counters it may count on, in one round trip (a sign-in used to
     * spend five on these).
     */
    async findSignInState(email: string, keys: FailureKeys): Promise<PasswordSignInState> {
      const result = await db.execute<{
        known_client: boolean;
        id: string | null;
        email: string | null;
        email_verified_at: Date | string | null;
        hash: string | null;
        stranger_failures: number | null;
        stranger_locked_until: Date | string | null;
        client_failures: number | null;
        client_locked_until: Date | string | null;
      }>(sql`
        select ${keys.knownClient} as known_client,
          i.id, i.email, i.email_verified_at, c.hash,
          s.failures as stranger_failures, s.locked_until as stranger_locked_until,
          o.failures as client_failures, o.locked_until as client_locked_until
        from (select 1) as one
          left join ${identities} i on i.email = ${email}
          left join ${passwordCredentials} c on c.user_id = i.id
          left join ${passwordFailures} s on s.email_hash = ${keys.strangers}
          left join ${passwordFailures} o on o.email_hash = ${keys.ownClient}
      `);
      const row = result.rows[0]!;
      return {
        identity: row.id === null || row.email === null ? null : { id: row.id, email: row.email, emailVerifiedAt: dateOf(row.email_verified_at) },
        hash: row.hash,
        knownClient: row.known_client === true,
        strangers: failureStateOf(row.stranger_failures, row.stranger_locked_until),
        ownClient: failureStateOf(row.client_failures, row.client_locked_until),
      };
    },

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
      await clearFailuresWrite(emailHash);
    },

    /** The delete of a failure counter, not yet sent: for the sign-in's one statement. */
    clearFailuresWrite,
  };
}

export type CredentialRepository = ReturnType<typeof createCredentialRepository>;
