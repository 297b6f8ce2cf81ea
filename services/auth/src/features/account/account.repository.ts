import { and, eq, ne } from 'drizzle-orm';
import { enqueueEvent } from '@malet/outbox';
import type { AuthDb } from './db';
import { identities } from './schema';

/** Changes to an identity made by account operations (verification, email change, profile hand-off). */
export function createAccountRepository(db: AuthDb) {
  return {
    /** Marks the address verified, only while it is still the identity's address. */
    async markEmailVerified(userId: string, email: string, now: Date): Promise<boolean> {
      const rows = await db
        .update(identities)
        .set({ emailVerifiedAt: now, updatedAt: now })
        .where(and(eq(identities.id, userId), eq(identities.email, email)))
        .returning({ id: identities.id });
      return rows.length > 0;
    },

    /**
     * Moves the identity to a new (verified) address and emits `user.updated`, in one
     * transaction. Null when another identity holds the address.
     */
    async changeEmail(userId: string, newEmail: string, now: Date): Promise<{ oldEmail: string } | null> {
      return db.transaction(async (tx) => {
        const [taken] = await tx
          .select({ id: identities.id })
          .from(identities)
          .where(and(eq(identities.email, newEmail), ne(identities.id, userId)))
          .limit(1);
        if (taken) return null;
        const [current] = await tx.select({ email: identities.email }).from(identities).where(eq(identities.id, userId)).for('update');
        if (!current) return null;
        const updated = await tx
          .update(identities)
          .set({ email: newEmail, emailVerifiedAt: now, updatedAt: now })
          .where(eq(identities.id, userId))
          .returning({ id: identities.id })
          .catch((error: unknown) => {
            // A concurrent change to the same address lost the race on the unique index.
            if ((error as { code?: string }).code === '23505') return [];
            throw error;
          });
        if (updated.length === 0) return null;
        await enqueueEvent(tx, 'user.updated', { user_id: userId, email: newEmail });
        return { oldEmail: current.email };
      });
    },

    /** Hands a display name given at registration to the users service (which owns profiles). */
    async announceDisplayName(userId: string, displayName: string): Promise<void> {
      await db.transaction(async (tx) => {
        await enqueueEvent(tx, 'user.updated', { user_id: userId, display_name: displayName });
      });
    },
  };
}

export type AccountRepository = ReturnType<typeof createAccountRepository>;
