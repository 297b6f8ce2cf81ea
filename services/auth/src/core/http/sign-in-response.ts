import type { Request, Response } from 'express';
import type { SignInMeta, SignInResult } from '../domain/sign-in';
import { setSessionCookie, type CookieSettings } from './session-cookie';

export function requestMeta(req: Request): SignInMeta {
  return { ip: req.ip ?? null, userAgent: req.get('user-agent')?.slice(0, 512) ?? null };
}

/**
 * Writes a finished sign-in: the session cookie and `{session_token, expires_in, refresh_token,
 * refresh_expires_in, user}` in the body, or `{mfa_required: true, mfa_token, mfa_methods}` when
 * a second factor is due. `user` may carry method-specific extras (password login adds
 * `email_verified`).
 */
export function sendSignInResult(
  res: Response,
  result: SignInResult,
  options: { ttlSeconds: number; cookie: CookieSettings; userExtras?: Record<string, unknown> },
): void {
  res.setHeader('Cache-Control', 'no-store');
  if (result.kind === 'mfa_required') {
    res.json({ mfa_required: true, mfa_token: result.challenge.mfaToken, mfa_methods: result.challenge.methods });
    return;
  }
  setSessionCookie(res, result.session.token, options.ttlSeconds, options.cookie);
  res.json({
    session_token: result.session.token,
    token_type: 'Bearer',
    expires_in: options.ttlSeconds,
    refresh_token: result.refreshToken,
    refresh_expires_in: result.refreshExpiresIn,
    user: { id: result.user.id, email: result.user.email, ...options.userExtras },
  });
}
