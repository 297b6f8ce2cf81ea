import { and, eq } from 'drizzle-orm';
import { isUuid } from '@malet/database';
import type { AuthDb, AuthTransaction } from '../db';
import { identities } from '../identities/identity.tables';
import { linkedIdentities } from './linked-identity.tables';

export type LinkedIdentityRow = typeof linkedIdentities.$inferSelect;

export interface NewLink {
  userId: string;
  provider: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
  displayName: string | null;
}

/** Why a link could not be inserted: the upstream identity or the account's slot for that provider is taken. */
export type LinkConflict = 'subject_taken' | 'provider_taken';

export function createLinkedIdentityRepository(db: AuthDb) {
  async function insertWith(executor: AuthDb | AuthTransaction, link: NewLink, now: Date): Promise<LinkedIdentityRow | LinkConflict> {
    const [row] = await executor
      .insert(linkedIdentities)
      .values({ ...link, createdAt: now, lastUsedAt: now })
      .onConflictDoNothing()
      .returning();
    if (row) return row;
    const [holder] = await executor
      .select({ id: linkedIdentities.id })
      .from(linkedIdentities)
      .where(and(eq(linkedIdentities.provider, link.provider), eq(linkedIdentities.subject, link.subject)))
      .limit(1);
    return holder ? 'subject_taken' : 'provider_taken';
  }

  return {
    async findBySubject(provider: string, subject: string): Promise<LinkedIdentityRow | null> {
      const [row] = await db
        .select()
        .from(linkedIdentities)
        .where(and(eq(linkedIdentities.provider, provider), eq(linkedIdentities.subject, subject)))
        .limit(1);
      return row ?? null;
    },

    async listForUser(userId: string): Promise<LinkedIdentityRow[]> {
      if (!isUuid(userId)) return [];
      return db.select().from(linkedIdentities).where(eq(linkedIdentities.userId, userId)).orderBy(linkedIdentities.createdAt);
    },

    /** Inserts the link unless the upstream identity or the account's provider slot is taken (then says which). */
    insert: (link: NewLink, now: Date) => insertWith(db, link, now),

    /** The same, inside the transaction that creates the account (sign-up through a provider). */
    insertWithin: (tx: AuthTransaction, link: NewLink, now: Date) => insertWith(tx, link, now),

    async touch(id: string, now: Date): Promise<void> {
      await db.update(linkedIdentities).set({ lastUsedAt: now }).where(eq(linkedIdentities.id, id));
    },

    /**
     * Removes the account's link to `provider` when `mayRemove` says so, asked while the account
     * row is locked. Parallel unlinks of one account are serialised by that lock, so two of them
     * cannot each leave the other as the last way in.
     */
    async deleteGuarded(userId: string, provider: string, mayRemove: () => Promise<boolean>): Promise<'removed' | 'not_linked' | 'refused'> {
      if (!isUuid(userId)) return 'not_linked';
      return db.transaction(async (tx) => {
        await tx.select({ id: identities.id }).from(identities).where(eq(identities.id, userId)).for('update');
        const [target] = await tx
          .select({ id: linkedIdentities.id })
          .from(linkedIdentities)
          .where(and(eq(linkedIdentities.userId, userId), eq(linkedIdentities.provider, provider)));
        if (!target) return 'not_linked';
        if (!(await mayRemove())) return 'refused';
        await tx.delete(linkedIdentities).where(eq(linkedIdentities.id, target.id));
        return 'removed';
      });
    },

    /** Removes every link of an account; returns how many. */
    async deleteAllForUser(userId: string): Promise<number> {
      const rows = await db.delete(linkedIdentities).where(eq(linkedIdentities.userId, userId)).returning({ id: linkedIdentities.id });
      return rows.length;
    },

  };
}

export type LinkedIdentityRepository = ReturnType<typeof createLinkedIdentityRepository>;
