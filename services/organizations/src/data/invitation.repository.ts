import { and, desc, eq, gt, isNull } from 'drizzle-orm';
import { isUuid } from '@malet/database';
import { enqueueMail, type OutgoingMail } from '@malet/mail-outbox';
import type { OrganizationsDb } from './db';
import { invitations, memberships } from './schema';

export type InvitationRow = typeof invitations.$inferSelect;

/**
 * The invitation's mail could not be queued. The transaction rolled back, so the invitation was
 * not stored either; `cause` is the database's refusal.
 */
export class InvitationMailNotQueuedError extends Error {
  constructor(cause: unknown) {
    super('The invitation mail could not be queued', { cause });
    this.name = 'InvitationMailNotQueuedError';
  }
}

export function createInvitationRepository(db: OrganizationsDb) {
  return {
    /**
     * Stores an invitation and queues its mail in one transaction: both exist or neither does, so
     * a crash or a refused mail never leaves an invitation nobody was told about. The caller wakes
     * the mail relay once this resolves (committed).
     */
    async insertWithMail(values: Omit<typeof invitations.$inferInsert, 'id' | 'createdAt'>, mail: OutgoingMail): Promise<InvitationRow> {
      return db.transaction(async (tx) => {
        const [row] = await tx.insert(invitations).values(values).returning();
        await enqueueMail(tx, mail).catch((cause: unknown) => {
          throw new InvitationMailNotQueuedError(cause);
        });
        return row!;
      });
    },

    async findById(id: string): Promise<InvitationRow | null> {
      if (!isUuid(id)) return null;
      const [row] = await db.select().from(invitations).where(eq(invitations.id, id)).limit(1);
      return row ?? null;
    },

    async listForOrganization(organizationId: string): Promise<InvitationRow[]> {
      return db.select().from(invitations).where(eq(invitations.organizationId, organizationId)).orderBy(desc(invitations.createdAt));
    },

    /** Revokes a pending invitation; null when it was not pending. */
    async revoke(id: string, now: Date): Promise<InvitationRow | null> {
      const [row] = await db
        .update(invitations)
        .set({ revokedAt: now })
        .where(and(eq(invitations.id, id), isNull(invitations.acceptedAt), isNull(invitations.revokedAt)))
        .returning();
      return row ?? null;
    },

    /**
     * Spends a live invitation and adds the membership in one transaction; the conditional update
     * lets exactly one of two simultaneous accepts through. Null when nothing live matched.
     */
    async accept(input: { tokenHash: string; email: string; userId: string; now: Date }): Promise<InvitationRow | null> {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .update(invitations)
          .set({ acceptedAt: input.now, acceptedBy: input.userId })
          .where(
            and(
              eq(invitations.tokenHash, input.tokenHash),
              eq(invitations.email, input.email),
              isNull(invitations.acceptedAt),
              isNull(invitations.revokedAt),
              gt(invitations.expiresAt, input.now),
            ),
          )
          .returning();
        if (!row) return null;
        await tx.insert(memberships).values({ organizationId: row.organizationId, userId: input.userId, role: row.role }).onConflictDoNothing();
        return row;
      });
    },
  };
}

export type InvitationRepository = ReturnType<typeof createInvitationRepository>;
