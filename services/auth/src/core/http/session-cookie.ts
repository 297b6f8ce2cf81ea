import type { Response } from 'express';
import { SESSION_COOKIE } from '@malet/session-client';

export interface CookieSettings {
  secure: boolean;
  domain?: string | undefined;
}

/** HttpOnly, SameSite=Lax, Secure outside dev (docs/architecture.md, section 4). */
export function setSessionCookie(res: Response, token: string, maxAgeSeconds: number, settings: CookieSettings): void {
  res.cookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: settings.secure,
    domain: settings.domain,
    path: '/',
    maxAge: maxAgeSeconds * 1000,
  });
}

export function clearSessionCookie(res: Response, settings: CookieSettings): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure: settings.secure, domain: settings.domain, path: '/' });
}
