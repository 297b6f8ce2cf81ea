import { sql } from 'drizzle-orm';
import { pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

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
