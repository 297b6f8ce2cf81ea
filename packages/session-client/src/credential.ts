import { parse as parseCookie } from 'cookie';
import type { Credential } from './validator';

export const SESSION_COOKIE = 'session_token';

/** A session token exactly as auth mints it: `sess_` and 32 random bytes in base64url (43 characters). */
const SESSION_TOKEN_SHAPE = /^sess_[A-Za-z0-9_-]{43}$/;

/**
 * Whether a credential has the one spelling auth mints. Anything else is refused before it is
 * cached or sent on: auth's parsers forgive some variants (a cookie value with trailing blanks,
 * percent-encoded, still names the session), and a cache keyed by the variant's hash would keep
 * serving it after the session's revocation evicted the canonical hash.
 */
export function isSessionTokenShape(token: string): boolean {
  return SESSION_TOKEN_SHAPE.test(token);
}

/**
 * The credential a request carries: a Bearer token wins over the `session_token` cookie, so an
 * API client's explicit choice is never overridden by a stale browser cookie.
 */
export function readCredential(headers: { authorization?: string | undefined; cookie?: string | undefined }): Credential | null {
  const authorization = headers.authorization;
  if (authorization) {
    const match = /^Bearer\s+(\S{1,512})\s*$/i.exec(authorization);
    return match ? { kind: 'bearer', token: match[1]! } : null;
  }
  if (headers.cookie) {
    const token = parseCookie(headers.cookie)[SESSION_COOKIE];
    if (token && token.length <= 512) return { kind: 'cookie', token };
  }
  return null;
}
