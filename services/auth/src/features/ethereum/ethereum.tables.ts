import { index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/**
 * Nonces handed out by `POST /auth/metamask/nonce`, each for one address: single use (the
 * verification consumes it in one conditional UPDATE) and short-lived. Stored as SHA-256.
 */
export const siweNonces = pgTable(
  'siwe_nonces',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    nonceHash: text('nonce_hash').notNull(),
    /** Lower-case `0x…`. */
    address: text('address').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    consumedAt: timestamp('consumed_at', { withTimezone: true }),
  },
  (table) => [uniqueIndex('siwe_nonces_nonce_hash_key').on(table.nonceHash), index('siwe_nonces_expires_idx').on(table.expiresAt)],
);
