import { and, eq, sql } from 'drizzle-orm';
import type { AnyPgDatabase } from '@malet/outbox';
import type { AuthDb } from '../../core/db';
import { identities } from '../../core/identities/identity.tables';
import { provisionedAccounts } from './provisioning.tables';

export function createProvisioningRepository(db: AuthDb) {
  // Every sign-in asks twice (sign-in-gate.ts): built once, not per call.
  const isBlockedStatement = db
    .select({ userId: provisionedAccounts.userId })
    .from(provisionedAccounts)
    .where(and(eq(provisionedAccounts.userId, sql.placeholder('userId')), eq(provisionedAccounts.active, false)))
    .limit(1)
    .prepare('auth_provisioned_account_blocked');

  return {
    /**
     * Records the identity provider's view of an account if `sequence` is newer than what was
     * recorded; false when it was not (or the identity does not exist, e.g. deleted since).
     */
    async applyState(tx: AnyPgDatabase, input: { organizationId: string; userId: string; active: boolean; deleted: boolean; sequence: number }): Promise<boolean> {
      const [identity] = await tx.select({ id: identities.id }).from(identities).where(eq(identities.id, input.userId));
      if (!identity) return false;
      const values = {
        organizationId: input.organizationId,
        userId: input.userId,
        active: input.active && !input.deleted,
        deletedAt: input.deleted ? sql`now()` : null,
        sequence: input.sequence,
        updatedAt: sql`now()`,
      };
      const rows = await tx
        .insert(provisionedAccounts)
        .values(values)
        .onConflictDoUpdate({
          target: [provisionedAccounts.organizationId, provisionedAccounts.userId],
          set: { active: values.active, deletedAt: values.deletedAt, sequence: values.sequence, updatedAt: values.updatedAt },
          setWhere: sql`${provisionedAccounts.sequence} < ${input.sequence}`,
        })
        .returning({ userId: provisionedAccounts.userId });
      return rows.length > 0;
    },

    /** True when an organization's identity provider has this identity deactivated or deleted. */
    async isBlocked(userId: string): Promise<boolean> {
      return (await isBlockedStatement.execute({ userId })).length > 0;
    },
  };
}

export type ProvisioningRepository = ReturnType<typeof createProvisioningRepository>;
