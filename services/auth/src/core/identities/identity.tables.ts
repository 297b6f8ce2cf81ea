import { sql } from 'drizzle-orm';
import { bigint, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

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
    /** E.164 (`+14155550123`); unique when present (`GET /auth/phone/check`). */
    phone: text('phone'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex('identities_email_key').on(table.email), uniqueIndex('identities_phone_key').on(table.phone)],
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

/**
 * Emailed one-time tokens for account operations: email verification (link and 6-digit code),
 * password reset and email change. Only the SHA-256 of the link token and the HMAC of the code
 * are stored; consumption is a single `UPDATE ... WHERE consumed_at IS NULL RETURNING`.
 */
export const accountTokens = pgTable(
  'account_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => identities.id, { onDelete: 'cascade' }),
    purpose: text('purpose', { enum: ['verify_email', 'reset_password', 'change_email'] }).notNull(),
    tokenHash: text('token_hash').notNull(),
    codeHash: text('code_hash'),
    /** The address being verified (verify_email, change_email): a token is good for that address only. */
    email: text('email'),
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

/**
 * Refresh tokens (`ref_` + 32 bytes), found by SHA-256. Every rotation stays in its family; a
 * rotated token presented again revokes the whole family (theft detection, DESIGN section 4).
 */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => identities.id, { onDelete: 'cascade' }),
    sessionId: uuid('session_id').references(() => sessions.id, { onDelete: 'set null' }),
    familyId: uuid('family_id').notNull(),
    tokenHash: text('token_hash').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    rotatedAt: timestamp('rotated_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (table) => [
    uniqueIndex('refresh_tokens_token_hash_key').on(table.tokenHash),
    index('refresh_tokens_family_idx').on(table.familyId),
    index('refresh_tokens_user_idx').on(table.userId),
  ],
);

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
