import type { Response } from 'express';
import { z } from 'zod';
import type { SignInResult } from '../sign-in/complete-sign-in';
import { setSessionCookie, type CookieSettings } from './session-cookie';

/** What every sign-in method answers (`sendSignInResult`). */
export const sessionIssuedBody = z.object({
  session_token: z.string().meta({ example: 'sess_a1b2c3d4...' }),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int().meta({ example: 86400 }),
  /** Exchange at `POST /auth/refresh` (`{"refresh_token": ...}`); rotated on every use. */
  refresh_token: z.string().meta({ example: 'ref_e5f6g7h8...' }),
  refresh_expires_in: z.number().int().meta({ example: 2592000 }),
  user: z.object({ id: z.string(), email: z.string() }),
});
export const mfaRequiredBody = z.object({
  mfa_required: z.literal(true),
  /** Present it to `/auth/mfa/verify` or `/auth/mfa/backup`. */
  mfa_token: z.string(),
  mfa_methods: z.array(z.string()),
});
export const signInResponseBody = z.union([sessionIssuedBody, mfaRequiredBody]);

/**
 * Writes a finished sign-in: the session cookie and `{session_token, expires_in, refresh_token,
 * refresh_expires_in, user}` in the body, or `{mfa_required: true, mfa_token, mfa_methods}` when
 * a second factor is due. `user` may carry method-specific extras (password login adds
 * `email_verified`).
 */
export function createSignInResponder(settings: { cookie: CookieSettings }) {
  return function sendSignInResult(res: Response, result: SignInResult, userExtras: Record<string, unknown> = {}): void {
    res.setHeader('Cache-Control', 'no-store');
    if (result.kind === 'mfa_required') {
      res.json({ mfa_required: true, mfa_token: result.challenge.mfaToken, mfa_methods: result.challenge.methods });
      return;
    }
    setSessionCookie(res, result.session.token, result.session.ttlSeconds, settings.cookie);
    res.json({
      session_token: result.session.token,
      token_type: 'Bearer',
      expires_in: result.session.ttlSeconds,
      refresh_token: result.refreshToken,
      refresh_expires_in: result.refreshExpiresIn,
      user: { id: result.user.id, email: result.user.email, ...userExtras },
    });
  };
}

export type SendSignInResult = ReturnType<typeof createSignInResponder>;
