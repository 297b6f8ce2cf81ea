import { index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { identities } from '../identities/identity.tables';

/**
 * Emailed one-time tokens for account operations: email verification (link and 6-digit code),
 * password reset, email change and the undo link sent to the address it replaced. Only the
 * SHA-256 of the link token and the HMAC of the code are stored; consumption is a single
 * `UPDATE ... WHERE consumed_at IS NULL RETURNING`.
 */
export const accountTokens = pgTable(
  'account_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => identities.id, { onDelete: 'cascade' }),
    purpose: text('purpose', { enum: ['verify_email', 'reset_password', 'change_email', 'undo_email_change'] }).notNull(),
    tokenHash: text('token_hash').notNull(),
    codeHash: text('code_hash'),
    /**
     * The address a token is about: the one being verified or changed to (verify_email,
     * change_email, reset_password), or the one an email change replaced (undo_email_change).
     */
    email: text('email'),
    /** change_email: the session that asked for the change, kept when the change signs out the others. */
    sessionId: uuid('session_id'),
    /** Wrong codes against this token, counted atomically. */
    attempts: integer('attempts').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    consumedAt: timestamp('consumed_at', { withTimezone: true }),
  },
  (table) => [
    uniqueIndex('account_tokens_token_hash_key').on(table.tokenHash),
    index('account_tokens_user_purpose_idx').on(table.userId, table.purpose),
  ],
);
