import { integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { identities } from '../../core/identities/identity.tables';

/** The password of an identity: an argon2id PHC string (never the password itself). */
export const passwordCredentials = pgTable('password_credentials', {
  userId: uuid('user_id')
    .primaryKey()
    .references(() => identities.id, { onDelete: 'cascade' }),
  hash: text('hash').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Failed password attempts per email (SHA-256 of the normalised address, so unknown emails are
 * counted exactly like known ones and nothing here reveals which accounts exist). Counted with
 * one atomic upsert; `locked_until` blocks password attempts only, never other sign-in methods.
 */
export const passwordFailures = pgTable('password_failures', {
  emailHash: text('email_hash').primaryKey(),
  failures: integer('failures').notNull().default(0),
  lockedUntil: timestamp('locked_until', { withTimezone: true }),
  lastFailedAt: timestamp('last_failed_at', { withTimezone: true }).notNull().defaultNow(),
});
