import { and, asc, eq, gt, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import { isUuid } from '@malet/database';
import type { AuthDb } from '../../core/db';
import { passkeyCredentials, webauthnChallenges } from './passkey.tables';

export type PasskeyRow = typeof passkeyCredentials.$inferSelect;
export type Ceremony = (typeof webauthnChallenges.$inferSelect)['ceremony'];

/** The only module that reads or writes the passkey tables. */
export function createPasskeyRepository(db: AuthDb) {
  return {
    async insertChallenge(input: { challengeHash: string; ceremony: Ceremony; userId: string | null; expiresAt: Date }): Promise<void> {
      await db.insert(webauthnChallenges).values(input);
    },

    /**
     * Spends a live challenge of one of `scope`'s ceremonies (and user, when given): one winner
     * however many requests race. Null when it is unknown, expired, spent, or was issued for
     * another ceremony or user (which then stays usable by its own ceremony).
     */
    async consumeChallenge(
      challengeHash: string,
      now: Date,
      scope: { ceremonies: Ceremony[]; userId?: string },
    ): Promise<{ ceremony: Ceremony; userId: string | null } | null> {
      const [row] = await db
        .update(webauthnChallenges)
        .set({ consumedAt: now })
        .where(
          and(
            eq(webauthnChallenges.challengeHash, challengeHash),
            inArray(webauthnChallenges.ceremony, scope.ceremonies),
            scope.userId === undefined ? undefined : eq(webauthnChallenges.userId, scope.userId),
            isNull(webauthnChallenges.consumedAt),
            gt(webauthnChallenges.expiresAt, now),
          ),
        )
        .returning({ ceremony: webauthnChallenges.ceremony, userId: webauthnChallenges.userId });
      return row ?? null;
    },

    /** Deletes challenges that ended before `before` (spent or expired). */
    async purgeChallenges(before: Date): Promise<number> {
      const rows = await db
        .delete(webauthnChallenges)
        .where(or(lt(webauthnChallenges.expiresAt, before), lt(webauthnChallenges.consumedAt, before)))
        .returning({ id: webauthnChallenges.id });
      return rows.length;
    },

    async listForUser(userId: string): Promise<PasskeyRow[]> {
      return db.select().from(passkeyCredentials).where(eq(passkeyCredentials.userId, userId)).orderBy(asc(passkeyCredentials.createdAt), asc(passkeyCredentials.id));
    },

    async findByCredentialId(credentialId: string): Promise<PasskeyRow | null> {
      const [row] = await db.select().from(passkeyCredentials).where(eq(passkeyCredentials.credentialId, credentialId)).limit(1);
      return row ?? null;
    },

    async countForUser(userId: string): Promise<number> {
      const [row] = await db.select({ count: sql<number>`count(*)::int` }).from(passkeyCredentials).where(eq(passkeyCredentials.userId, userId));
      return row?.count ?? 0;
    },

    /** Stores a new credential; null when its credential id is already registered (to anyone). */
    async insertCredential(input: Omit<typeof passkeyCredentials.$inferInsert, 'id' | 'lastUsedAt'>): Promise<PasskeyRow | null> {
      const [row] = await db.insert(passkeyCredentials).values(input).onConflictDoNothing({ target: passkeyCredentials.credentialId }).returning();
      return row ?? null;
    },

    /**
     * Records a verified assertion's counter, only if it moves forward from what is stored now
     * (or both are 0: authenticators without a counter). Checked in the UPDATE itself, so two
     * assertions racing with the same counter cannot both pass. False: the counter went back.
     */
    async recordUse(input: { id: string; newCount: number; backedUp: boolean; now: Date }): Promise<boolean> {
      const rows = await db
        .update(passkeyCredentials)
        .set({ signCount: input.newCount, backedUp: input.backedUp, lastUsedAt: input.now })
        .where(
          and(
            eq(passkeyCredentials.id, input.id),
            input.newCount === 0 ? eq(passkeyCredentials.signCount, 0) : lt(passkeyCredentials.signCount, input.newCount),
          ),
        )
        .returning({ id: passkeyCredentials.id });
      return rows.length === 1;
    },

    async rename(userId: string, id: string, name: string): Promise<PasskeyRow | null> {
      if (!isUuid(id)) return null;
      const [row] = await db
        .update(passkeyCredentials)
        .set({ name })
        .where(and(eq(passkeyCredentials.id, id), eq(passkeyCredentials.userId, userId)))
        .returning();
      return row ?? null;
    },

    /**
     * Deletes one of the user's passkeys unless it is their last way to sign in. The user's
     * passkeys are locked first, so two deletions racing for the last two cannot both succeed.
     */
    async deleteUnlessLast(userId: string, id: string, hasOtherWayIn: boolean): Promise<{ outcome: 'deleted'; row: PasskeyRow } | { outcome: 'not_found' | 'last' }> {
      if (!isUuid(id)) return { outcome: 'not_found' };
      return db.transaction(async (tx) => {
        const owned = await tx.select().from(passkeyCredentials).where(eq(passkeyCredentials.userId, userId)).for('update');
        const target = owned.find((row) => row.id === id);
        if (!target) return { outcome: 'not_found' as const };
        if (owned.length === 1 && !hasOtherWayIn) return { outcome: 'last' as const };
        await tx.delete(passkeyCredentials).where(eq(passkeyCredentials.id, id));
        return { outcome: 'deleted' as const, row: target };
      });
    },

    async deleteAllForUser(userId: string): Promise<number> {
      const rows = await db.delete(passkeyCredentials).where(eq(passkeyCredentials.userId, userId)).returning({ id: passkeyCredentials.id });
      return rows.length;
    },
  };
}

export type PasskeyRepository = ReturnType<typeof createPasskeyRepository>;
