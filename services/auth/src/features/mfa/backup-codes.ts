import { createHash, randomInt } from 'node:crypto';

/** Crockford-style base32 without look-alikes (no I, L, O, U): easy to read off paper. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

export const BACKUP_CODE_COUNT = 10;

/** Ten codes of ten base32 characters (50 bits each), shown as `xxxxx-xxxxx`. */
export function generateBackupCodes(count = BACKUP_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    const chars = Array.from({ length: 10 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

/**
 * The canonical form people may type: case, spaces and dashes do not matter, and the usual
 * look-alikes map to their digit. Null when it cannot be a backup code.
 */
export function normalizeBackupCode(input: string): string | null {
  const cleaned = input
    .toLowerCase()
    .replace(/[\s-]/g, '')
    .replace(/[io]/g, (c) => (c === 'o' ? '0' : '1'))
    .replace(/l/g, '1');
  if (cleaned.length !== 10 || [...cleaned].some((c) => !ALPHABET.includes(c))) return null;
  return cleaned;
}

/** SHA-256 is enough here: 50 random bits per code, single use, and guesses are attempt-limited. */
export function hashBackupCode(normalized: string): string {
  return createHash('sha256').update(`mfa-backup:${normalized}`).digest('hex');
}
