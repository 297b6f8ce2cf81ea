import { sql } from 'drizzle-orm';
import { bigint, boolean, index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { identities } from '../../core/identities/identity.tables';

/**
 * Passkeys (WebAuthn credentials): several per user. Only public material is stored: the
 * credential id and its COSE public key, both base64url.
 */
export const passkeyCredentials = pgTable(
  'passkey_credentials',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => identities.id, { onDelete: 'cascade' }),
    /** The authenticator's credential id (base64url), unique across every user. */
    credentialId: text('credential_id').notNull(),
    publicKey: text('public_key').notNull(),
    /** The last signature counter seen; an assertion must bring a larger one unless both are 0. */
    signCount: bigint('sign_count', { mode: 'number' }).notNull().default(0),
    transports: text('transports').array().notNull().default(sql`'{}'::text[]`),
    /** The authenticator model, when attestation was asked for; all zeros otherwise. */
    aaguid: text('aaguid').notNull(),
    /** `multiDevice` passkeys sync between a person's devices; `singleDevice` ones never leave theirs. */
    deviceType: text('device_type', { enum: ['singleDevice', 'multiDevice'] }).notNull(),
    backedUp: boolean('backed_up').notNull(),
    /** Chosen by the user (defaults to a description of the device it was made on). */
    name: text('name').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  },
  (table) => [uniqueIndex('passkey_credentials_credential_id_key').on(table.credentialId), index('passkey_credentials_user_idx').on(table.userId)],
);

/**
 * Outstanding ceremony challenges, found by their SHA-256 (the challenge itself is never
 * stored). Each is single use (`consumed_at`), short lived (`expires_at`) and bound to its
 * ceremony: `registration` for one user, `login` for anyone (discoverable credentials), or
 * `login_for_user` for one user's credentials (email first; `user_id` null when the email has
 * no account, so that no credential can answer it).
 */
export const webauthnChallenges = pgTable(
  'webauthn_challenges',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    challengeHash: text('challenge_hash').notNull(),
    ceremony: text('ceremony', { enum: ['registration', 'login', 'login_for_user'] }).notNull(),
    userId: uuid('user_id').references(() => identities.id, { onDelete: 'cascade' }),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    consumedAt: timestamp('consumed_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex('webauthn_challenges_hash_key').on(table.challengeHash), index('webauthn_challenges_expires_idx').on(table.expiresAt)],
);
