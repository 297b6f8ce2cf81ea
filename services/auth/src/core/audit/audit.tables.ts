import { index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Security events (sign-ins, MFA and password changes, revocations, lockouts). Rows are only
 * ever inserted; each is also emitted to the outbox as `audit.security_event`.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull().defaultNow(),
    /** e.g. `signin`, `signout`, `session.revoked`, `mfa.enrolled`, `password.changed`, `lockout`. */
    type: text('type').notNull(),
    outcome: text('outcome', { enum: ['success', 'failure'] }).notNull(),
    /** Null when the account is unknown (a failed sign-in for an unknown email). */
    userId: uuid('user_id'),
    method: text('method'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    details: jsonb('details').notNull().default({}),
  },
  (table) => [index('audit_events_user_idx').on(table.userId, table.occurredAt)],
);
