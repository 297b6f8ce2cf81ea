import { bigint, boolean, index, pgTable, primaryKey, timestamp, uuid } from 'drizzle-orm/pg-core';
import { identities } from '../../core/identities/identity.tables';

/**
 * Identities an organization's identity provider provisioned over SCIM, and whether it has them
 * active. An identity with any inactive row cannot sign in. `sequence` is the provisioning
 * event's number: only a newer event changes the row, so late or repeated deliveries are harmless.
 */
export const provisionedAccounts = pgTable(
  'provisioned_accounts',
  {
    organizationId: uuid('organization_id').notNull(),
    userId: uuid('user_id')
      .notNull()
      .references(() => identities.id, { onDelete: 'cascade' }),
    active: boolean('active').notNull(),
    /** Set when the identity provider deleted the user: the account stays blocked. */
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
    sequence: bigint('sequence', { mode: 'number' }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.organizationId, table.userId] }), index('provisioned_accounts_user_idx').on(table.userId)],
);
