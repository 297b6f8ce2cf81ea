import { randomUUID } from 'node:crypto';
import { desc, eq, sql } from 'drizzle-orm';
import { writeTogether } from '@malet/database';
import { eventInsert } from '@malet/outbox';
import type { AuthDb } from '../db';
import { auditEvents } from './audit.tables';

export type AuditEventRow = typeof auditEvents.$inferSelect;
export type NewAuditEvent = Omit<typeof auditEvents.$inferInsert, 'id' | 'occurredAt'>;

/** `occurred_at` as the outbox payload spells it (JavaScript's toISOString), from the row's own `now()`. */
const occurredAtIso = sql`to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

export function createAuditRepository(db: AuthDb) {
  /**
   * The audit row and its outbox event as two writes for one statement (`writeTogether`): the id
   * is minted here and both take the statement's `now()`, so neither needs to read the other.
   */
  function writesOf(event: NewAuditEvent) {
    const id = randomUUID();
    const payload = {
      id,
      type: event.type,
      outcome: event.outcome,
      user_id: event.userId ?? null,
      method: event.method ?? null,
      ip: event.ip ?? null,
      user_agent: event.userAgent ?? null,
      details: event.details ?? {},
    };
    return [
      db.insert(auditEvents).values({ ...event, id }),
      eventInsert(db, 'audit.security_event', sql`${JSON.stringify(payload)}::jsonb || jsonb_build_object('occurred_at', ${occurredAtIso})`),
    ];
  }

  return {
    writesOf,

    /** Writes the audit row and its outbox event together, in one statement. */
    async record(event: NewAuditEvent): Promise<void> {
      await writeTogether(db, writesOf(event));
    },

    async listForUser(userId: string, limit = 50): Promise<AuditEventRow[]> {
      return db.select().from(auditEvents).where(eq(auditEvents.userId, userId)).orderBy(desc(auditEvents.occurredAt)).limit(limit);
    },
  };
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;
