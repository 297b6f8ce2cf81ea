import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

export { hashToken } from '@malet/session-client';

/**
 * Every opaque token names its kind: sessions, refresh tokens, magic links, MFA challenges, the
 * emailed account links (email verification, password reset, email change and its undo), and
 * pending links of a provider identity to an account (`lnk`).
 */
export type TokenPrefix = 'sess' | 'ref' | 'ml' | 'mfa' | 'vfy' | 'rst' | 'eml' | 'undo' | 'lnk';

/** Opaque bearer tokens: a recognisable prefix and 32 random bytes (docs/architecture.md, section 4). */
export function mintToken(prefix: TokenPrefix): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

/** Rejects anything that cannot be one of our tokens before it costs a database lookup. */
export function looksLikeToken(prefix: TokenPrefix, value: string): boolean {
  return value.length === prefix.length + 44 && value.startsWith(`${prefix}_`) && /^[A-Za-z0-9_-]+$/.test(value);
}

/** The 6-digit codes sent by email and SMS, uniformly random. */
export function mintSixDigitCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/** Constant-time comparison of two hex digests (stored code hashes against a fresh one). */
export function sameHexDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
