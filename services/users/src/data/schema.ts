import { pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export { processedEvents } from '@malet/outbox';

/** One profile per identity; `id` is the user id auth minted. */
export const profiles = pgTable(
  'profiles',
  {
    id: uuid('id').primaryKey(),
    /** Lower-case, URL-safe, unique. */
    username: text('username').notNull(),
    displayName: text('display_name'),
    bio: text('bio'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex('profiles_username_key').on(table.username)],
);
