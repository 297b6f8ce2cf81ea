import { sql } from 'drizzle-orm';
import { bigint, boolean, index, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export { processedEvents } from '@malet/outbox';
// Invitation mail, queued in the transaction that creates the invitation and relayed to SMTP.
export { mailOutbox } from '@malet/mail-outbox';

export const organizations = pgTable(
  'organizations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    /** Lower-case, URL-safe, unique. */
    slug: text('slug').notNull(),
    createdBy: uuid('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex('organizations_slug_key').on(table.slug)],
);

export const memberships = pgTable(
  'memberships',
  {
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').notNull(),
    role: text('role', { enum: ['owner', 'admin', 'member'] }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** Set when the organization's identity provider provisioned this member over SCIM. */
    provisionedAt: timestamp('provisioned_at', { withTimezone: true }),
    /** False while the identity provider has the member deactivated. */
    active: boolean('active').notNull().default(true),
  },
  (table) => [primaryKey({ columns: [table.organizationId, table.userId] }), index('memberships_user_idx').on(table.userId)],
);

/** Invitations by email; only the SHA-256 of the emailed token is kept. */
export const invitations = pgTable(
  'invitations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    /** Normalised: trimmed and lower-cased. */
    email: text('email').notNull(),
    role: text('role', { enum: ['admin', 'member'] }).notNull(),
    tokenHash: text('token_hash').notNull(),
    invitedBy: uuid('invited_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    acceptedAt: timestamp('accepted_at', { withTimezone: true }),
    acceptedBy: uuid('accepted_by'),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (table) => [uniqueIndex('invitations_token_hash_key').on(table.tokenHash), index('invitations_organization_idx').on(table.organizationId)],
);

/**
 * Email domains an organization claims. A domain is verified by a DNS TXT record; a verified
 * domain belongs to one organization only, which is what lets its SCIM tokens provision (and
 * deprovision) the accounts of that domain.
 */
export const domains = pgTable(
  'domains',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    domain: text('domain').notNull(),
    /** The value the TXT record must hold; public by nature (it is published in DNS). */
    verificationToken: text('verification_token').notNull(),
    verifiedAt: timestamp('verified_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('domains_organization_domain_key').on(table.organizationId, table.domain),
    uniqueIndex('domains_verified_domain_key').on(table.domain).where(sql`${table.verifiedAt} is not null`),
  ],
);

/** SCIM bearer tokens (`scim_...`), one organization each; only the SHA-256 is stored. */
export const scimTokens = pgTable(
  'scim_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull(),
    createdBy: uuid('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (table) => [uniqueIndex('scim_tokens_token_hash_key').on(table.tokenHash), index('scim_tokens_organization_idx').on(table.organizationId)],
);

/** Groups pushed by the organization's identity provider over SCIM (the id is the SCIM group id). */
export const groups = pgTable(
  'groups',
  {
    id: uuid('id').primaryKey(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    displayName: text('display_name').notNull(),
    externalId: text('external_id'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index('groups_organization_idx').on(table.organizationId)],
);

export const groupMembers = pgTable(
  'group_members',
  {
    groupId: uuid('group_id')
      .notNull()
      .references(() => groups.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').notNull(),
  },
  (table) => [primaryKey({ columns: [table.groupId, table.userId] }), index('group_members_user_idx').on(table.userId)],
);

/**
 * The last provisioning sequence applied per subject (`user:<org>:<id>`, `group:<id>`): events
 * can arrive late or twice, and only a newer one may change the state.
 */
export const provisioningSequences = pgTable('provisioning_sequences', {
  subject: text('subject').primaryKey(),
  sequence: bigint('sequence', { mode: 'number' }).notNull(),
});

/**
 * An organization's SAML identity provider (one per organization; auth reads it over internal
 * HTTP to check the assertions its members post). `certificates` are the IdP's signing
 * certificates as base64 DER: one, or two while the IdP rolls its key over.
 */
export const samlConnections = pgTable(
  'saml_connections',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    idpEntityId: text('idp_entity_id').notNull(),
    /** Where auth sends the browser with an AuthnRequest (HTTP-Redirect binding). */
    ssoUrl: text('sso_url').notNull(),
    certificates: text('certificates').array().notNull(),
    /** Accept assertions the IdP sends unasked (no AuthnRequest, no InResponseTo). Off unless set. */
    allowIdpInitiated: boolean('allow_idp_initiated').notNull().default(false),
    createdBy: uuid('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex('saml_connections_organization_key').on(table.organizationId)],
);
