import { boolean, index, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { identities } from '../../core/identities/identity.tables';

/**
 * A browser sign-in in progress at a provider. The callback must present the `state` (found by
 * its SHA-256) AND the browser binding secret from the HttpOnly flow cookie (stored as its
 * SHA-256 only), so a callback from another browser (login CSRF, a leaked callback URL) finds
 * nothing. Single use: the callback consumes the row. The PKCE verifier is derived from the
 * binding secret and never stored.
 */
export const oauthFlows = pgTable(
  'oauth_flows',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    provider: text('provider').notNull(),
    stateHash: text('state_hash').notNull(),
    bindingHash: text('binding_hash').notNull(),
    /** Sent in the authorization URL and checked in the ID token; not a secret. */
    nonce: text('nonce'),
    usesPkce: boolean('uses_pkce').notNull(),
    returnTo: text('return_to'),
    /** Set when a signed-in account holder links the provider rather than signing in. */
    linkUserId: uuid('link_user_id').references(() => identities.id, { onDelete: 'cascade' }),
    ip: text('ip'),
    userAgent: text('user_agent'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    consumedAt: timestamp('consumed_at', { withTimezone: true }),
  },
  (table) => [uniqueIndex('oauth_flows_state_hash_key').on(table.stateHash), index('oauth_flows_expires_idx').on(table.expiresAt)],
);

/**
 * A verified provider identity waiting to be linked to the account whose email it matched,
 * once the holder proves that account (signs in to it). Bound to exactly that upstream identity
 * and that account, single use, 10 minutes, held by the browser that signed in at the provider
 * (HttpOnly cookie; only its SHA-256 is stored).
 */
export const oauthPendingLinks = pgTable(
  'oauth_pending_links',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tokenHash: text('token_hash').notNull(),
    accountId: uuid('account_id')
      .notNull()
      .references(() => identities.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    subject: text('subject').notNull(),
    email: text('email'),
    emailVerified: boolean('email_verified').notNull(),
    username: text('username'),
    displayName: text('display_name'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    consumedAt: timestamp('consumed_at', { withTimezone: true }),
  },
  (table) => [uniqueIndex('oauth_pending_links_token_hash_key').on(table.tokenHash), index('oauth_pending_links_expires_idx').on(table.expiresAt)],
);

/**
 * Nonces of ID tokens already exchanged by the mobile endpoint, kept until the token expires: a
 * captured `{id_token, nonce}` pair signs in once.
 */
export const mobileIdTokenNonces = pgTable(
  'mobile_id_token_nonces',
  {
    provider: text('provider').notNull(),
    nonceHash: text('nonce_hash').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.provider, table.nonceHash] }), index('mobile_id_token_nonces_expires_idx').on(table.expiresAt)],
);
