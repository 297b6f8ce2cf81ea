import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { hashToken } from './tokens';

/** Emailed link tokens carry their purpose in the prefix (`vfy_`, `rst_`, `eml_`) like every token here. */
export type AccountTokenPrefix = 'vfy' | 'rst' | 'eml';

export function mintAccountToken(prefix: AccountTokenPrefix): { token: string; tokenHash: string } {
  const token = `${prefix}_${randomBytes(32).toString('base64url')}`;
  return { token, tokenHash: hashToken(token) };
}

/** Rejects anything that cannot be one of our link tokens before it costs a lookup. */
export function looksLikeAccountToken(prefix: AccountTokenPrefix, value: string): boolean {
  return value.length === prefix.length + 44 && value.startsWith(`${prefix}_`) && /^[A-Za-z0-9_-]+$/.test(value);
}

export function mintSixDigitCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/** HMAC of a 6-digit code under the server secret, bound to the user and purpose: a dump alone cannot be brute-forced. */
export function hashAccountCode(secret: string, userId: string, purpose: string, code: string): string {
  return createHmac('sha256', secret).update(`${purpose}:${userId}:${code}`).digest('hex');
}

export function sameHexDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
