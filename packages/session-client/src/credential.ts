import { parse as parseCookie } from 'cookie';
import type { Credential } from './validator';

export const SESSION_COOKIE = 'session_token';

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
