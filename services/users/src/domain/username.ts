import { createHash } from 'node:crypto';

const MAX_BASE = 24;

/**
 * A username from a preferred one (the email's local part): ASCII letters, digits and
 * underscores, lower-case, 3 to 24 characters. `José.Pérez+news` becomes `jose_perez_news`.
 */
export function usernameBase(preferred: string): string {
  const ascii = preferred
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, MAX_BASE)
    .replace(/_+$/, '');
  return ascii.length >= 3 ? ascii : `user${ascii ? `_${ascii}` : ''}`;
}

/**
 * Candidates in the order they are tried: the base, then the base with ever longer suffixes
 * taken from the hash of the user id. The same user always gets the same candidates,
 * whatever order profiles arrive in.
 */
export function usernameCandidates(preferred: string, userId: string): string[] {
  const base = usernameBase(preferred);
  const digest = createHash('sha256').update(userId).digest('hex');
  return [base, ...[4, 6, 8, 12, 32].map((length) => `${base}_${digest.slice(0, length)}`)];
}
