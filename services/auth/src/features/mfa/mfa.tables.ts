import { bigint, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { identities } from '../../core/identities/identity.tables';

/**
 * Second factors. One row per user and type; a row without `confirmed_at` is an enrollment in
 * progress. Secrets and phone numbers are sealed with the MFA key (domain/secret-box.ts).
 */
export const mfaFactors = pgTable(
  'mfa_factors',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => identities.id, { onDelete: 'cascade' }),
    type: text('type', { enum: ['totp', 'sms'] }).notNull(),
    /** TOTP: the sealed base32 secret. */
    secretCiphertext: text('secret_ciphertext'),
    /** SMS: the sealed E.164 number, and a masked form safe to show. */
    phoneCiphertext: text('phone_ciphertext'),
    phoneHint: text('phone_hint'),
    /** SMS: HMAC of the outstanding code (enrollment or step-up), and when it stops working. */
    codeHash: text('code_hash'),
    codeExpiresAt: timestamp('code_expires_at', { withTimezone: true }),
    /** Wrong guesses against the outstanding code or the pending enrollment; counted atomically. */
    codeAttempts: integer('code_attempts').notNull().default(0),
    /** TOTP: the last accepted time step; a code is accepted only for a later step (no replay). */
    lastUsedStep: bigint('last_used_step', { mode: 'number' }),
    confirmedAt: timestamp('confirmed_at', { withTimezone: true }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex('mfa_factors_user_type_key').on(table.userId, table.type)],
);

/**
 * The second step of a sign-in: found by the SHA-256 of its `mfa_` token, bound to the user and
 * the first factor, single use, five minutes, at most five wrong answers (any method).
 */
export const mfaChallenges = pgTable(
  'mfa_challenges',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tokenHash: text('token_hash').notNull(),
    userId: uuid('user_id')
      .notNull()
      .references(() => identities.id, { onDelete: 'cascade' }),
    firstFactor: text('first_factor').notNull(),
    /** A single sign-on first factor's origin, handed to the session the answer opens. */
    ssoOrganizationId: uuid('sso_organization_id'),
    ssoConnectionId: uuid('sso_connection_id'),
    attempts: integer('attempts').notNull().default(0),
    /** HMAC of the SMS code sent for this challenge, if one was requested. */
    smsCodeHash: text('sms_code_hash'),
    smsCodeExpiresAt: timestamp('sms_code_expires_at', { withTimezone: true }),
    smsSends: integer('sms_sends').notNull().default(0),
    ip: text('ip'),
    userAgent: text('user_agent'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    consumedAt: timestamp('consumed_at', { withTimezone: true }),
  },
  (table) => [uniqueIndex('mfa_challenges_token_hash_key').on(table.tokenHash), index('mfa_challenges_user_idx').on(table.userId)],
);

/** Ten single-use recovery codes per user, stored as SHA-256 (they are high-entropy). */
export const mfaBackupCodes = pgTable(
  'mfa_backup_codes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => identities.id, { onDelete: 'cascade' }),
    codeHash: text('code_hash').notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex('mfa_backup_codes_user_code_key').on(table.userId, table.codeHash)],
);
