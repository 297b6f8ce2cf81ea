import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgSequence, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export { outbox } from '@malet/outbox';

/**
 * SCIM resource state per organization (RFC 7643): the representation the IdP gave us, our id,
 * and the version behind each ETag. The identity itself lives in auth (`target_id` is its user
 * id); groups are announced to organizations, which shows them to members.
 */
export const scimResources = pgTable(
  'scim_resources',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id').notNull(),
    resourceType: text('resource_type', { enum: ['User', 'Group'] }).notNull(),
    externalId: text('external_id'),
    /** Users: `userName` lower-cased, unique per organization (RFC 7643: case-insensitive, server-unique). */
    userName: text('user_name'),
    /** Groups: `displayName` lower-cased, for indexed look-ups. */
    displayName: text('display_name'),
    /** Users: the identity auth minted for this user. */
    targetId: uuid('target_id'),
    version: integer('version').notNull().default(1),
    /** Everything else the client set, canonical attribute names, extensions under their URN. */
    attributes: jsonb('attributes').notNull().default({}),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('scim_resources_user_name_key').on(table.organizationId, table.userName).where(sql`${table.resourceType} = 'User'`),
    uniqueIndex('scim_resources_user_target_key').on(table.organizationId, table.targetId).where(sql`${table.resourceType} = 'User'`),
    index('scim_resources_external_idx').on(table.organizationId, table.resourceType, table.externalId),
    index('scim_resources_display_name_idx').on(table.organizationId, table.resourceType, table.displayName),
    index('scim_resources_page_idx').on(table.organizationId, table.resourceType, table.createdAt, table.id),
    index('scim_resources_members_idx').using('gin', sql`(${table.attributes} -> 'members') jsonb_path_ops`),
  ],
);

/**
 * Orders the provisioning events of one user or group across resources and retries: consumers
 * apply an event only when its sequence is above the last one they applied for that subject.
 */
export const scimEventSequence = pgSequence('scim_event_sequence');
