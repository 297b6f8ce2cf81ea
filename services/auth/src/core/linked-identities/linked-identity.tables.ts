import { boolean, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { identities } from '../identities/identity.tables';

/**
 * Identities held elsewhere that sign in to an account: a social provider's user (`google`,
 * `apple`, `twitter`, `facebook`, `github`, keyed by the provider's stable subject) or an
 * Ethereum address (`ethereum`, keyed by the lower-case address). Several features read and
 * write them (browser sign-in, the mobile token exchange, Sign-In with Ethereum, the connections
 * list), so the table lives in core.
 *
 * One upstream identity belongs to at most one account, and an account links at most one
 * identity per provider.
 */
export const linkedIdentities = pgTable(
  'linked_identities',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => identities.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    subject: text('subject').notNull(),
    /** What the provider asserted when the link was made (normalised), for the connections list. */
    email: text('email'),
    emailVerified: boolean('email_verified').notNull().default(false),
    /** The provider's handle or name (GitHub login, X username), shown in the connections list. */
    displayName: text('display_name'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  },
  (table) => [
    uniqueIndex('linked_identities_provider_subject_key').on(table.provider, table.subject),
    uniqueIndex('linked_identities_user_provider_key').on(table.userId, table.provider),
  ],
);
