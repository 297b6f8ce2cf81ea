import { index, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { identities } from '../../core/identities/identity.tables';

/**
 * AuthnRequests sent to identity providers (SP-initiated sign-in), by their ID: the answer's
 * InResponseTo must name one of the same organization, live and unused; it is used once.
 */
export const samlRequests = pgTable(
  'saml_requests',
  {
    id: text('id').primaryKey(),
    organizationId: uuid('organization_id').notNull(),
    connectionId: uuid('connection_id').notNull(),
    /** Allow-listed when the request was made. */
    returnTo: text('return_to'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    consumedAt: timestamp('consumed_at', { withTimezone: true }),
  },
  (table) => [index('saml_requests_expires_idx').on(table.expiresAt)],
);

/**
 * Assertions already accepted, by issuer and assertion ID, kept until they expire (plus the
 * clock skew): the same assertion posted again is a replay.
 */
export const samlSeenAssertions = pgTable(
  'saml_seen_assertions',
  {
    issuer: text('issuer').notNull(),
    assertionId: text('assertion_id').notNull(),
    organizationId: uuid('organization_id').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.issuer, table.assertionId] }), index('saml_seen_assertions_expires_idx').on(table.expiresAt)],
);

/** Which identity an organization's NameID signs in as (linked on the first SAML sign-in). */
export const samlAccounts = pgTable(
  'saml_accounts',
  {
    organizationId: uuid('organization_id').notNull(),
    nameId: text('name_id').notNull(),
    userId: uuid('user_id')
      .notNull()
      .references(() => identities.id, { onDelete: 'cascade' }),
    connectionId: uuid('connection_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.organizationId, table.nameId] }), index('saml_accounts_user_idx').on(table.userId)],
);
