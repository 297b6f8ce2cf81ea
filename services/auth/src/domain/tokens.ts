import { randomBytes } from 'node:crypto';

export { hashToken } from '@malet/session-client';

export type TokenPrefix = 'sess' | 'ref';

/** Opaque bearer tokens: a recognisable prefix and 32 random bytes (DESIGN section 4). */
export function mintToken(prefix: TokenPrefix): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

/** Rejects anything that cannot be one of our tokens before it costs a database lookup. */
export function looksLikeToken(prefix: TokenPrefix, value: string): boolean {
  return value.length === prefix.length + 44 && value.startsWith(`${prefix}_`) && /^[A-Za-z0-9_-]+$/.test(value);
}
