import { integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/**
 * SCIM resource state per organization (RFC 7643): our id, the IdP's externalId and the version
 * behind each ETag. The user or group itself lives with its owner (auth/users/organizations).
 */
export const scimResources = pgTable(
  'scim_resources',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id').notNull(),
    resourceType: text('resource_type', { enum: ['User', 'Group'] }).notNull(),
    externalId: text('external_id'),
    /** The identity (user id) or organization group this resource maps to. */
    targetId: uuid('target_id'),
    version: integer('version').notNull().default(1),
    attributes: jsonb('attributes').notNull().default({}),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex('scim_resources_external_key').on(table.organizationId, table.resourceType, table.externalId)],
);
