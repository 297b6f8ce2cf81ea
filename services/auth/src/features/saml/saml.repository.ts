import { and, eq, gt, isNull, lt } from 'drizzle-orm';
import { enqueueEvent } from '@malet/outbox';
import type { AuthDb } from '../../core/db';
import { samlAccounts, samlRequests, samlSeenAssertions } from './saml.tables';

export type SamlRequestRow = typeof samlRequests.$inferSelect;

export function createSamlRepository(db: AuthDb) {
  return {
    async insertRequest(values: { id: string; organizationId: string; connectionId: string; returnTo: string | null; createdAt: Date; expiresAt: Date }): Promise<void> {
      await db.insert(samlRequests).values(values);
    },

    /** Uses a live request of this organization once (one conditional UPDATE: two posts cannot both win). */
    async consumeRequest(id: string, organizationId: string, now: Date): Promise<SamlRequestRow | null> {
      const [row] = await db
        .update(samlRequests)
        .set({ consumedAt: now })
        .where(and(eq(samlRequests.id, id), eq(samlRequests.organizationId, organizationId), isNull(samlRequests.consumedAt), gt(samlRequests.expiresAt, now)))
        .returning();
      return row ?? null;
    },

    /** Records an assertion as used; false when it already was (a replay). */
    async rememberAssertion(values: { issuer: string; assertionId: string; organizationId: string; expiresAt: Date }): Promise<boolean> {
      const rows = await db.insert(samlSeenAssertions).values(values).onConflictDoNothing().returning({ id: samlSeenAssertions.assertionId });
      return rows.length > 0;
    },

    async findLinkedUser(organizationId: string, nameId: string): Promise<string | null> {
      const [row] = await db
        .select({ userId: samlAccounts.userId })
        .from(samlAccounts)
        .where(and(eq(samlAccounts.organizationId, organizationId), eq(samlAccounts.nameId, nameId)))
        .limit(1);
      return row?.userId ?? null;
    },

    /**
     * Links the NameID to the identity (first sign-in) and announces the sign-in to the
     * organizations service (membership), in one transaction.
     */
    async recordSignIn(input: { organizationId: string; connectionId: string; nameId: string; userId: string; now: Date }): Promise<void> {
      await db.transaction(async (tx) => {
        await tx
          .insert(samlAccounts)
          .values({ organizationId: input.organizationId, nameId: input.nameId, userId: input.userId, connectionId: input.connectionId, createdAt: input.now })
          .onConflictDoNothing();
        await enqueueEvent(tx, 'saml.user.signed_in', { organization_id: input.organizationId, user_id: input.userId, connection_id: input.connectionId });
      });
    },

    /** Removes every SAML link of an identity; how many there were. */
    async unlinkUser(userId: string): Promise<number> {
      return (await db.delete(samlAccounts).where(eq(samlAccounts.userId, userId)).returning({ id: samlAccounts.userId })).length;
    },

    async purgeExpired(before: Date): Promise<void> {
      await db.delete(samlRequests).where(lt(samlRequests.expiresAt, before));
      await db.delete(samlSeenAssertions).where(lt(samlSeenAssertions.expiresAt, before));
    },
  };
}

export type SamlRepository = ReturnType<typeof createSamlRepository>;
