import { sql } from 'drizzle-orm';
import { index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export { outbox } from '@malet/outbox';

/** An identity: who can sign in. Profiles (usernames, names) live in the users service. */
export const identities = pgTable(
  'identities',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Normalised: trimmed and lower-cased, so uniqueness ignores case. */
    email: text('email').notNull(),
    roles: text('roles').array().notNull().default(sql`'{}'::text[]`),
    emailVerifiedAt: timestamp('email_verified_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex('identities_email_key').on(table.email)],
);

/** Sessions are found by the SHA-256 of their token; the token itself is never stored. */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => identities.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    kind: text('kind', { enum: ['web', 'mobile'] }).notNull().default('web'),
    amr: text('amr').array().notNull().default(sql`'{}'::text[]`),
    ip: text('ip'),
    userAgent: text('user_agent'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    revokeReason: text('revoke_reason'),
  },
  (table) => [
    uniqueIndex('sessions_token_hash_key').on(table.tokenHash),
    index('sessions_user_id_idx').on(table.userId),
  ],
);

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
