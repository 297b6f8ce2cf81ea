import { and, eq, ne } from 'drizzle-orm';
import { enqueueEvent } from '@malet/outbox';
import type { AuthDb } from '../../core/db';
import { identities } from '../../core/identities/identity.tables';

/** The email change, the one identity change only the account feature makes. */
export function createAccountRepository(db: AuthDb) {
  return {
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
  };
}

export type AccountRepository = ReturnType<typeof createAccountRepository>;
