import { and, eq, inArray, isNotNull, isNull, ne, sql } from 'drizzle-orm';
import { enqueueEvent } from '@malet/outbox';
import { isUuid } from '@malet/database';
import type { AuthDb, AuthTransaction } from '../db';
import { identities } from './identity.tables';

export type IdentityRow = typeof identities.$inferSelect;

export function createIdentityRepository(db: AuthDb) {
  return {
    async findById(id: string): Promise<IdentityRow | null> {
      if (!isUuid(id)) return null;
      const [row] = await db.select().from(identities).where(eq(identities.id, id)).limit(1);
      return row ?? null;
    },

    async findManyByIds(ids: string[]): Promise<IdentityRow[]> {
      const valid = ids.filter(isUuid);
      if (valid.length === 0) return [];
      return db.select().from(identities).where(inArray(identities.id, valid));
    },

    async findByEmail(email: string): Promise<IdentityRow | null> {
      const [row] = await db.select().from(identities).where(eq(identities.email, email)).limit(1);
      return row ?? null;
    },

    async findByPhone(phone: string): Promise<IdentityRow | null> {
      const [row] = await db.select().from(identities).where(eq(identities.phone, phone)).limit(1);
      return row ?? null;
    },

    /**
     * Lists `phone` (E.164, proven by its holder, who asked for it) on the identity, answered by
     * `GET /auth/phone/check`. The last account to prove a number holds its listing: numbers are
     * recycled, so another identity's listing of it is taken off in the same transaction.
     */
    async listPhone(userId: string, phone: string, now: Date): Promise<void> {
      await db.transaction(async (tx) => {
        // Two accounts proving one number at once take turns (the listing is unique).
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`phone-listing:${phone}`}))`);
        await tx.update(identities).set({ phone: null, updatedAt: now }).where(and(eq(identities.phone, phone), ne(identities.id, userId)));
        await tx.update(identities).set({ phone, updatedAt: now }).where(eq(identities.id, userId));
      });
    },

    /** Takes the identity's phone listing off; whether there was one. */
    async unlistPhone(userId: string, now: Date): Promise<boolean> {
      if (!isUuid(userId)) return false;
      const rows = await db
        .update(identities)
        .set({ phone: null, updatedAt: now })
        .where(and(eq(identities.id, userId), isNotNull(identities.phone)))
        .returning({ id: identities.id });
      return rows.length > 0;
    },

    /**
     * Marks `email` verified while it is still the identity's address (an emailed token for it
     * came back): `first_proof` for the one call that verified it, `already_proven` after that,
     * `not_current` when the identity has another address now.
     */
    async markAddressVerified(userId: string, email: string, now: Date): Promise<'first_proof' | 'already_proven' | 'not_current'> {
      if (!isUuid(userId)) return 'not_current';
      const rows = await db
        .update(identities)
        .set({ emailVerifiedAt: now, updatedAt: now })
        .where(and(eq(identities.id, userId), eq(identities.email, email), isNull(identities.emailVerifiedAt)))
        .returning({ id: identities.id });
      if (rows.length > 0) return 'first_proof';
      const [current] = await db.select({ id: identities.id }).from(identities).where(and(eq(identities.id, userId), eq(identities.email, email))).limit(1);
      return current ? 'already_proven' : 'not_current';
    },

    /** Hands a display name (given at registration) to the users service, which owns profiles. */
    async announceDisplayName(userId: string, displayName: string): Promise<void> {
      await db.transaction(async (tx) => {
        await enqueueEvent(tx, 'user.updated', { user_id: userId, display_name: displayName });
      });
    },

    /**
     * Creates the identity, whatever must exist with it (a first password, a provider link:
     * `withinTransaction`) and its `user.created` event in one transaction, so a failure leaves
     * no half-made account. An existing email returns the existing row and changes nothing.
     * The profile's username is `preferredUsername` where free (a provider's handle), else the
     * email's local part; `displayName` travels in the same event (Apple names a user only once).
     */
    async createWithEvent(
      input: { email: string; roles?: string[]; verified?: boolean; preferredUsername?: string; displayName?: string },
      withinTransaction?: (tx: AuthTransaction, identity: IdentityRow) => Promise<void>,
    ): Promise<{ identity: IdentityRow; created: boolean }> {
      return db.transaction(async (tx) => {
        const [inserted] = await tx
          .insert(identities)
          .values({
            email: input.email,
            roles: input.roles ?? [],
            emailVerifiedAt: input.verified ? new Date() : null,
          })
          .onConflictDoNothing({ target: identities.email })
          .returning();
        if (!inserted) {
          const [existing] = await tx.select().from(identities).where(eq(identities.email, input.email)).limit(1);
          return { identity: existing!, created: false };
        }
        await withinTransaction?.(tx, inserted);
        await enqueueEvent(tx, 'user.created', {
          user_id: inserted.id,
          email: inserted.email,
          preferred_username: input.preferredUsername ?? inserted.email.split('@')[0],
          ...(input.displayName ? { display_name: input.displayName } : {}),
        });
        return { identity: inserted, created: true };
      });
    },
  };
}

export type IdentityRepository = ReturnType<typeof createIdentityRepository>;
