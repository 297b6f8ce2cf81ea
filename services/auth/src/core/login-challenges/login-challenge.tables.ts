import { index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/**
 * Passwordless sign-in challenges: emailed 6-digit codes (`email_otp`) and magic links
 * (`magic_link`). Only a hash of the secret is stored: HMAC-SHA-256 with OTP_HMAC_SECRET for
 * codes (a million possible codes would fall to an offline search of a plain hash), SHA-256 for
 * the 256-bit link tokens. `attempts` is counted atomically before any comparison.
 */
export const loginChallenges = pgTable(
  'login_challenges',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    kind: text('kind', { enum: ['email_otp', 'magic_link'] }).notNull(),
    /** Normalised, as in `identities.email`. The identity may not exist yet (sign-up on first login). */
    email: text('email').notNull(),
    secretHash: text('secret_hash').notNull(),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull().default(5),
    /** Magic links: where to send the browser afterwards, checked against the allow-list. */
    returnTo: text('return_to'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    consumedAt: timestamp('consumed_at', { withTimezone: true }),
  },
  (table) => [
    index('login_challenges_email_idx').on(table.email, table.kind, table.createdAt),
    index('login_challenges_expires_idx').on(table.expiresAt),
    uniqueIndex('login_challenges_secret_hash_key').on(table.kind, table.secretHash),
  ],
);
