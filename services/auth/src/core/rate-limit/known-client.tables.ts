import { index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Clients (by rate-limit key: IPv4, or IPv6 /64) that signed in to an address successfully, as
 * the SHA-256 of `address|client`: neither the address nor the client is stored in the clear.
 * The OWASP "device cookie" idea keyed by client address: a known client keeps working while
 * strangers hammer its address (per-address ceilings and the password lockout skip it).
 */
export const knownSignInClients = pgTable(
  'known_sign_in_clients',
  {
    keyHash: text('key_hash').primaryKey(),
    lastSignedInAt: timestamp('last_signed_in_at', { withTimezone: true }).notNull(),
  },
  (table) => [index('known_sign_in_clients_last_idx').on(table.lastSignedInAt)],
);
