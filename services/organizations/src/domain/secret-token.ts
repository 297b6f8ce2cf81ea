import { createHash, randomBytes } from 'node:crypto';

/** `<prefix>_` + 32 random bytes (base64url): SCIM tokens and invitation tokens. */
export function mintToken(prefix: 'scim' | 'inv'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

/** Only this digest is stored; a lookup by digest is an index look-up, not a comparison of secrets. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function looksLikeToken(prefix: 'scim' | 'inv', value: string): boolean {
  return new RegExp(`^${prefix}_[A-Za-z0-9_-]{43}$`).test(value);
}
