import { and, count, eq, gt, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import type { AuthDb } from '../../core/db';
import type { SingleSignOnOrigin } from '../../core/sessions/session.repository';
import { mfaBackupCodes, mfaChallenges, mfaFactors } from './mfa.tables';

export type MfaFactorRow = typeof mfaFactors.$inferSelect;
export type MfaFactorType = MfaFactorRow['type'];
export type MfaChallengeRow = typeof mfaChallenges.$inferSelect;

/** Thrown inside a transaction to undo it; never leaves this module. */
class Rollback extends Error {}

/** A challenge that can still be answered: not consumed, not expired. */
const challengeIsLive = (now: Date) => and(isNull(mfaChallenges.consumedAt), gt(mfaChallenges.expiresAt, now));

type Transaction = Parameters<Parameters<AuthDb['transaction']>[0]>[0];
type Executor = AuthDb | Transaction;

/** Single use: of any number of parallel consumers of one challenge, exactly one gets true. */
async function consumeChallengeIn(executor: Executor, id: string, now: Date): Promise<boolean> {
  const rows = await executor
    .update(mfaChallenges)
    .set({ consumedAt: now })
    .where(and(eq(mfaChallenges.id, id), challengeIsLive(now)))
    .returning({ id: mfaChallenges.id });
  return rows.length > 0;
}

/**
 * MFA state. Every check that limits guesses or forbids reuse is one conditional UPDATE, so
 * concurrent requests are serialised by PostgreSQL's row lock rather than by our code.
 */
export function createMfaRepository(db: AuthDb) {
  async function inTransaction<T>(work: (tx: Transaction) => Promise<T>, fallback: T): Promise<T> {
    try {
      return await db.transaction(work);
    } catch (error) {
      if (error instanceof Rollback) return fallback;
      throw error;
    }
  }

  // Every sign-in asks for the user's factors (the MFA gate): built once, not per call.
  const listFactorsStatement = db.select().from(mfaFactors).where(eq(mfaFactors.userId, sql.placeholder('userId'))).prepare('auth_list_mfa_factors');

  return {
    async listFactors(userId: string): Promise<MfaFactorRow[]> {
      return listFactorsStatement.execute({ userId });
    },

    async findFactor(userId: string, type: MfaFactorType): Promise<MfaFactorRow | null> {
      const [row] = await db
        .select()
        .from(mfaFactors)
        .where(and(eq(mfaFactors.userId, userId), eq(mfaFactors.type, type)))
        .limit(1);
      return row ?? null;
    },

    /**
     * Starts (or restarts) an enrollment. Null when the user already has a confirmed factor of
     * this type: enrolling again needs disabling first.
     */
    async upsertPendingFactor(input: {
      userId: string;
      type: MfaFactorType;
      secretCiphertext?: string | null;
      phoneCiphertext?: string | null;
      phoneHint?: string | null;
      codeHash?: string | null;
      codeExpiresAt?: Date | null;
      now: Date;
    }): Promise<MfaFactorRow | null> {
      const values = {
        secretCiphertext: input.secretCiphertext ?? null,
        phoneCiphertext: input.phoneCiphertext ?? null,
        phoneHint: input.phoneHint ?? null,
        codeHash: input.codeHash ?? null,
        codeExpiresAt: input.codeExpiresAt ?? null,
        codeAttempts: 0,
        lastUsedStep: null,
        createdAt: input.now,
      };
      const [row] = await db
        .insert(mfaFactors)
        .values({ userId: input.userId, type: input.type, ...values })
        .onConflictDoUpdate({
          target: [mfaFactors.userId, mfaFactors.type],
          set: values,
          setWhere: isNull(mfaFactors.confirmedAt),
        })
        .returning();
      return row ?? null;
    },

    /** Counts one guess against a factor's code; false once `max` guesses have been used. */
    async countFactorAttempt(factorId: string, max: number): Promise<boolean> {
      const rows = await db
        .update(mfaFactors)
        .set({ codeAttempts: sql`${mfaFactors.codeAttempts} + 1` })
        .where(and(eq(mfaFactors.id, factorId), lt(mfaFactors.codeAttempts, max)))
        .returning({ id: mfaFactors.id });
      return rows.length > 0;
    },

    /** Confirms a pending TOTP factor; its first accepted step starts the replay guard. */
    async confirmTotpFactor(factorId: string, step: number, now: Date): Promise<boolean> {
      const rows = await db
        .update(mfaFactors)
        .set({ confirmedAt: now, lastUsedStep: step, lastUsedAt: now, codeAttempts: 0 })
        .where(and(eq(mfaFactors.id, factorId), isNull(mfaFactors.confirmedAt)))
        .returning({ id: mfaFactors.id });
      return rows.length > 0;
    },

    /** Accepts a TOTP step only if it is later than the last accepted one (no replay); the wrong-code count starts again. */
    async advanceTotpStep(factorId: string, step: number, now: Date): Promise<boolean> {
      const rows = await db
        .update(mfaFactors)
        .set({ lastUsedStep: step, lastUsedAt: now, codeAttempts: 0 })
        .where(
          and(
            eq(mfaFactors.id, factorId),
            isNotNull(mfaFactors.confirmedAt),
            or(isNull(mfaFactors.lastUsedStep), lt(mfaFactors.lastUsedStep, step)),
          ),
        )
        .returning({ id: mfaFactors.id });
      return rows.length > 0;
    },

    /** Replaces the outstanding SMS code of a factor (enrollment resend or step-up). */
    async setFactorCode(factorId: string, codeHash: string, expiresAt: Date): Promise<void> {
      await db.update(mfaFactors).set({ codeHash, codeExpiresAt: expiresAt, codeAttempts: 0 }).where(eq(mfaFactors.id, factorId));
    },

    /**
     * Uses up a factor's outstanding SMS code if it matches and is unexpired; confirms the
     * factor when it was pending. Single use: a second request with the same code finds nothing.
     */
    async consumeFactorCode(factorId: string, codeHash: string, now: Date): Promise<boolean> {
      const rows = await db
        .update(mfaFactors)
        .set({
          codeHash: null,
          codeExpiresAt: null,
          codeAttempts: 0,
          lastUsedAt: now,
          confirmedAt: sql`coalesce(${mfaFactors.confirmedAt}, ${now.toISOString()}::timestamptz)`,
        })
        .where(and(eq(mfaFactors.id, factorId), eq(mfaFactors.codeHash, codeHash), gt(mfaFactors.codeExpiresAt, now)))
        .returning({ id: mfaFactors.id });
      return rows.length > 0;
    },

    /** Re-seals a factor's secrets under the current key (after a key rotation). */
    async resealFactor(factorId: string, sealed: { secretCiphertext?: string; phoneCiphertext?: string }): Promise<void> {
      await db.update(mfaFactors).set(sealed).where(eq(mfaFactors.id, factorId));
    },

    /** Removes every factor and backup code of a user (MFA off). */
    async deleteAllForUser(userId: string): Promise<number> {
      return db.transaction(async (tx) => {
        await tx.delete(mfaBackupCodes).where(eq(mfaBackupCodes.userId, userId));
        const rows = await tx.delete(mfaFactors).where(eq(mfaFactors.userId, userId)).returning({ id: mfaFactors.id });
        return rows.length;
      });
    },

    async insertChallenge(input: {
      tokenHash: string;
      userId: string;
      firstFactor: string;
      sso?: SingleSignOnOrigin;
      expiresAt: Date;
      ip: string | null;
      userAgent: string | null;
      now: Date;
    }): Promise<{ id: string }> {
      const { now, sso, ...values } = input;
      const [row] = await db
        .insert(mfaChallenges)
        .values({
          ...values,
          createdAt: now,
          userAgent: input.userAgent?.slice(0, 512) ?? null,
          ssoOrganizationId: sso?.organizationId ?? null,
          ssoConnectionId: sso?.connectionId ?? null,
        })
        .returning({ id: mfaChallenges.id });
      return row!;
    },

    /** Ends every live challenge of a user (they expire now); returns how many there were. */
    async endLiveChallenges(userId: string, now: Date): Promise<number> {
      const rows = await db
        .update(mfaChallenges)
        .set({ expiresAt: now })
        .where(and(eq(mfaChallenges.userId, userId), challengeIsLive(now)))
        .returning({ id: mfaChallenges.id });
      return rows.length;
    },

    /** Housekeeping on each new challenge: a user's challenges that ended before `before` go. */
    async deleteEndedChallenges(userId: string, before: Date): Promise<void> {
      await db
        .delete(mfaChallenges)
        .where(and(eq(mfaChallenges.userId, userId), or(lt(mfaChallenges.expiresAt, before), lt(mfaChallenges.consumedAt, before))));
    },

    /** The challenge behind a token while it can still be answered; null otherwise. */
    async findLiveChallenge(tokenHash: string, now: Date, maxAttempts: number): Promise<MfaChallengeRow | null> {
      const [row] = await db
        .select()
        .from(mfaChallenges)
        .where(
          and(
            eq(mfaChallenges.tokenHash, tokenHash),
            challengeIsLive(now),
            lt(mfaChallenges.attempts, maxAttempts),
          ),
        )
        .limit(1);
      return row ?? null;
    },

    /**
     * Reserves one answer on a live challenge before the answer is checked. At most
     * `maxAttempts` reservations ever succeed, however many requests race: the row lock
     * serialises the increments and the WHERE clause re-checks the count for each.
     */
    async reserveChallengeAttempt(tokenHash: string, now: Date, maxAttempts: number): Promise<MfaChallengeRow | null> {
      const [row] = await db
        .update(mfaChallenges)
        .set({ attempts: sql`${mfaChallenges.attempts} + 1` })
        .where(
          and(
            eq(mfaChallenges.tokenHash, tokenHash),
            lt(mfaChallenges.attempts, maxAttempts),
            challengeIsLive(now),
          ),
        )
        .returning();
      return row ?? null;
    },

    /** Stores a new SMS code on a live challenge, at most `maxSends` times per challenge. */
    async setChallengeSmsCode(input: { id: string; codeHash: string; expiresAt: Date; now: Date; maxSends: number }): Promise<boolean> {
      const rows = await db
        .update(mfaChallenges)
        .set({ smsCodeHash: input.codeHash, smsCodeExpiresAt: input.expiresAt, smsSends: sql`${mfaChallenges.smsSends} + 1` })
        .where(
          and(
            eq(mfaChallenges.id, input.id),
            lt(mfaChallenges.smsSends, input.maxSends),
            challengeIsLive(input.now),
          ),
        )
        .returning({ id: mfaChallenges.id });
      return rows.length > 0;
    },

    /** Single use: exactly one caller consumes a challenge. */
    consumeChallenge: (id: string, now: Date): Promise<boolean> => consumeChallengeIn(db, id, now),

    /**
     * Consumes the challenge and advances the TOTP step together: either both happen or neither
     * (a replayed code leaves the challenge answerable; a lost race leaves the step untouched).
     */
    async consumeChallengeWithTotp(input: { challengeId: string; factorId: string; step: number; now: Date }) {
      return inTransaction<'ok' | 'replayed' | 'challenge_gone'>(async (tx) => {
        if (!(await consumeChallengeIn(tx, input.challengeId, input.now))) return 'challenge_gone';
        // A sign-in that passed the authenticator also unlocks its step-ups (codeAttempts).
        const advanced = await tx
          .update(mfaFactors)
          .set({ lastUsedStep: input.step, lastUsedAt: input.now, codeAttempts: 0 })
          .where(and(eq(mfaFactors.id, input.factorId), or(isNull(mfaFactors.lastUsedStep), lt(mfaFactors.lastUsedStep, input.step))))
          .returning({ id: mfaFactors.id });
        if (!advanced.length) throw new Rollback();
        return 'ok';
      }, 'replayed');
    },

    /** Consumes the challenge and one unused backup code together, or neither. */
    async consumeChallengeWithBackupCode(input: { challengeId: string; userId: string; codeHash: string; now: Date }) {
      return inTransaction<'ok' | 'invalid_code' | 'challenge_gone'>(async (tx) => {
        if (!(await consumeChallengeIn(tx, input.challengeId, input.now))) return 'challenge_gone';
        const used = await tx
          .update(mfaBackupCodes)
          .set({ usedAt: input.now })
          .where(and(eq(mfaBackupCodes.userId, input.userId), eq(mfaBackupCodes.codeHash, input.codeHash), isNull(mfaBackupCodes.usedAt)))
          .returning({ id: mfaBackupCodes.id });
        if (!used.length) throw new Rollback();
        return 'ok';
      }, 'invalid_code');
    },

    /** Regenerating replaces every previous code, used or not. */
    async replaceBackupCodes(userId: string, codeHashes: string[], now: Date): Promise<void> {
      await db.transaction(async (tx) => {
        await tx.delete(mfaBackupCodes).where(eq(mfaBackupCodes.userId, userId));
        await tx.insert(mfaBackupCodes).values(codeHashes.map((codeHash) => ({ userId, codeHash, createdAt: now })));
      });
    },

    async countUnusedBackupCodes(userId: string): Promise<number> {
      const [row] = await db
        .select({ n: count() })
        .from(mfaBackupCodes)
        .where(and(eq(mfaBackupCodes.userId, userId), isNull(mfaBackupCodes.usedAt)));
      return row?.n ?? 0;
    },

    /** Uses up one backup code outside a sign-in (step-up for disabling MFA). */
    async consumeBackupCode(userId: string, codeHash: string, now: Date): Promise<boolean> {
      const rows = await db
        .update(mfaBackupCodes)
        .set({ usedAt: now })
        .where(and(eq(mfaBackupCodes.userId, userId), eq(mfaBackupCodes.codeHash, codeHash), isNull(mfaBackupCodes.usedAt)))
        .returning({ id: mfaBackupCodes.id });
      return rows.length > 0;
    },
  };
}

export type MfaRepository = ReturnType<typeof createMfaRepository>;
