import { Router } from 'express';
import { z } from 'zod';
import { validate } from '@malet/http-server';
import { normalizeEmail } from '../domain/email';
import type { EmailOtpService } from '../domain/email-otp.service';
import { documentRoute, signInResponseBody } from './openapi';
import type { RateLimitGuard } from './rate-limit';
import { requestMeta, sendSignInResult } from './sign-in-response';
import type { CookieSettings } from './session-cookie';

/**
 * An email address as every passwordless endpoint accepts it: zod's ASCII address syntax (no
 * quoted local parts, no unencoded internationalised domains) and at most 254 characters (RFC
 * 5321's path limit). Lookups use `normalizeEmail`, so case does not make a second account.
 */
export const emailField = z.email().max(254).meta({ example: 'user@example.com' });

export const emailLoginStartBody = z.object({ email: emailField }).strict();
export const emailLoginStartResponse = z.object({
  success: z.literal(true),
  /** Seconds the code stays valid. */
  expires_in: z.number().int(),
});
export const emailLoginFinishBody = z
  .object({
    email: emailField,
    code: z
      .string()
      .regex(/^\d{6}$/, 'must be 6 digits')
      .meta({ example: '123456' }),
  })
  .strict();

documentRoute({
  method: 'post',
  path: '/auth/email/login/start',
  summary: 'Send a 6-digit sign-in code by email (valid 10 minutes; a new code replaces older ones)',
  tags: ['Email OTP'],
  auth: 'none',
  body: emailLoginStartBody,
  responses: {
    200: { description: 'Sent. The answer is the same whether or not an account exists: unknown emails sign up on first verified login.', body: emailLoginStartResponse },
    400: { description: 'Invalid body' },
    429: { description: 'Too many codes for this address or client (Retry-After)' },
    503: { description: 'Mail could not be sent' },
  },
});
documentRoute({
  method: 'post',
  path: '/auth/email/login/finish',
  summary: 'Verify the code and sign in (session cookie set, token in the body)',
  tags: ['Email OTP'],
  auth: 'none',
  body: emailLoginFinishBody,
  responses: {
    200: { description: 'Signed in, or a second factor is due (`mfa_required`)', body: signInResponseBody },
    400: { description: 'Invalid body' },
    401: { description: '`auth:invalid_code` (wrong code) or `auth:code_expired` (none live: expired, used, replaced or 5 wrong guesses)' },
    429: { description: 'Too many attempts (Retry-After)' },
  },
});

export function emailOtpRoutes(deps: { otp: EmailOtpService; limits: RateLimitGuard; ttlSeconds: number; cookie: CookieSettings }): Router {
  const router = Router();

  router.post('/auth/email/login/start', deps.limits.limit('sendCode'), async function startEmailLogin(req, res) {
    const { email } = validate(emailLoginStartBody, req.body);
    const { expiresIn } = await deps.otp.start({ email: normalizeEmail(email), meta: requestMeta(req) });
    res.setHeader('Cache-Control', 'no-store');
    res.json({ success: true, expires_in: expiresIn });
  });

  router.post('/auth/email/login/finish', deps.limits.limit('signIn'), async function finishEmailLogin(req, res) {
    const { email, code } = validate(emailLoginFinishBody, req.body);
    const result = await deps.otp.finish({ email: normalizeEmail(email), code, meta: requestMeta(req) });
    sendSignInResult(res, result, { ttlSeconds: deps.ttlSeconds, cookie: deps.cookie });
  });

  return router;
}
