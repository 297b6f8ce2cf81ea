import { desc, eq } from 'drizzle-orm';
import { enqueueEvent } from '@malet/outbox';
import type { AuthDb } from '../db';
import { auditEvents } from './audit.tables';

export type AuditEventRow = typeof auditEvents.$inferSelect;
export type NewAuditEvent = Omit<typeof auditEvents.$inferInsert, 'id' | 'occurredAt'>;

export function createAuditRepository(db: AuthDb) {
  return {
    /** Writes the audit row and its outbox event in one transaction. */
    async record(event: NewAuditEvent): Promise<void> {
      await db.transaction(async (tx) => {
        const [row] = await tx.insert(auditEvents).values(event).returning();
        await enqueueEvent(tx, 'audit.security_event', {
          id: row!.id,
          occurred_at: row!.occurredAt.toISOString(),
          type: row!.type,
          outcome: row!.outcome,
          user_id: row!.userId,
          method: row!.method,
          ip: row!.ip,
          user_agent: row!.userAgent,
          details: row!.details,
        });
      });
    },

    async listForUser(userId: string, limit = 50): Promise<AuditEventRow[]> {
      return db.select().from(auditEvents).where(eq(auditEvents.userId, userId)).orderBy(desc(auditEvents.occurredAt)).limit(limit);
    },
  };
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;
