import { z } from 'zod';

/** One spelling per mailbox for lookups and uniqueness: trimmed, lower-cased, NFC. */
export function normalizeEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}

/**
 * An email address as every endpoint accepts it: zod's ASCII address syntax (no quoted local
 * parts, no unencoded internationalised domains) and at most 254 characters (RFC 5321's path
 * limit). Lookups use `normalizeEmail`, so case does not make a second account.
 */
export const emailField = z.email().max(254).meta({ example: 'user@example.com' });
