import { Router } from 'express';
import { z } from 'zod';
import { validate } from '@malet/http-server';
import type { AccountService } from '../domain/account.service';
import { normalizeEmail } from '../domain/email';
import type { PasswordService } from '../domain/password.service';
import type { SessionService } from '../domain/session.service';
import { documentRoute } from './openapi';
import { accountEmailField, requireSession } from './password.routes';
import type { RateLimitGuard } from './rate-limit';
import { requestMeta } from './sign-in-response';

const tokenField = z.string().min(1).max(200);
export const verifyEmailQuery = z.object({ token: tokenField });
/** Either the emailed link's token, or the address and the 6-digit code from the same email. */
export const verifyEmailBody = z.union([
  z.object({ token: tokenField }).strict(),
  z.object({ email: accountEmailField, code: z.string().regex(/^\d{6}$/, 'must be 6 digits') }).strict(),
]);
export const changeEmailBody = z
  .object({
    new_email: accountEmailField,
    /** Required when the account has a password (re-authentication); ignored otherwise. */
    password: z.string().min(1).max(1024).optional(),
  })
  .strict();
export const confirmEmailChangeBody = z.object({ token: tokenField }).strict();
export const confirmEmailChangeQuery = z.object({ token: tokenField });
const messageBody = z.object({ message: z.string() });
const verifiedBody = z.object({ message: z.string(), email: z.string(), email_verified: z.literal(true) });

for (const method of ['get', 'post'] as const) {
  documentRoute({
    method,
    path: '/auth/verify-email',
    summary:
      method === 'get'
        ? 'Verify the email address from the emailed link (`?token=`)'
        : 'Verify the email address with the emailed token, or with email and 6-digit code (5 attempts)',
    tags: ['Account'],
    auth: 'none',
    ...(method === 'get' ? { query: verifyEmailQuery } : { body: verifyEmailBody }),
    responses: {
      200: { description: 'Verified', body: verifiedBody },
      400: { description: '`auth:invalid_token` or `auth:invalid_code` (wrong, expired, used, or out of attempts)' },
      429: { description: 'Too many attempts (Retry-After)' },
    },
  });
}
documentRoute({
  method: 'post',
  path: '/auth/resend-verification-email',
  summary: 'Email a new verification link and code to the signed-in user (older ones stop working)',
  tags: ['Account'],
  auth: 'session',
  responses: {
    200: { description: 'Sent, or nothing to do when already verified', body: messageBody.extend({ email_verified: z.boolean() }) },
    401: { description: 'No valid session' },
    429: { description: 'Too many requests (Retry-After)' },
    503: { description: 'Mail could not be sent' },
  },
});
documentRoute({
  method: 'post',
  path: '/auth/change-email',
  summary: 'Request an email change: a confirmation link goes to the new address, a notice to the old one',
  tags: ['Account'],
  auth: 'session',
  body: changeEmailBody,
  responses: {
    200: { description: 'Confirmation sent (the answer does not say whether the new address is taken)', body: messageBody },
    400: { description: 'Invalid body, or the address is already yours' },
    401: { description: 'No valid session' },
    403: { description: '`auth:wrong_password`: the account has a password and it was missing or wrong' },
    429: { description: 'Too many requests, or `auth:password_locked` (Retry-After)' },
    503: { description: 'Mail could not be sent' },
  },
});
for (const method of ['get', 'post'] as const) {
  documentRoute({
    method,
    path: '/auth/confirm-email-change',
    summary: 'Confirm an email change with the token emailed to the new address (single use, 1 hour)',
    tags: ['Account'],
    auth: 'none',
    ...(method === 'get' ? { query: confirmEmailChangeQuery } : { body: confirmEmailChangeBody }),
    responses: {
      200: { description: 'Changed; the new address is verified and the old one notified', body: verifiedBody },
      400: { description: '`auth:invalid_token`' },
      409: { description: '`auth:email_taken`: another account took the address meanwhile' },
      429: { description: 'Too many attempts (Retry-After)' },
    },
  });
}

/** Seed 002's account operations: email verification and email change. */
export function accountRoutes(deps: {
  account: AccountService;
  passwords: PasswordService;
  sessions: SessionService;
  limits: RateLimitGuard;
}): Router {
  const router = Router();

  router.get('/auth/verify-email', deps.limits.limit('redeemToken'), async function verifyEmailFromLink(req, res) {
    const { token } = validate(verifyEmailQuery, req.query);
    const verified = await deps.account.verifyEmailByToken(token, requestMeta(req));
    res.setHeader('Cache-Control', 'no-store');
    res.json({ message: 'Email verified', email: verified.email, email_verified: true });
  });

  router.post('/auth/verify-email', deps.limits.limit('redeemToken'), async function verifyEmail(req, res) {
    const body = validate(verifyEmailBody, req.body);
    const meta = requestMeta(req);
    const verified =
      'token' in body
        ? await deps.account.verifyEmailByToken(body.token, meta)
        : await deps.account.verifyEmailByCode(normalizeEmail(body.email), body.code, meta);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ message: 'Email verified', email: verified.email, email_verified: true });
  });

  router.post('/auth/resend-verification-email', deps.limits.limit('sendCode'), async function resendVerificationEmail(req, res) {
    const session = await requireSession(deps.sessions, req);
    // Per account as well as per IP: one signed-in user cannot mail-bomb their own inbox.
    await deps.limits.consume({ name: 'send:account', points: 3, durationSeconds: 60 }, session.userId);
    const { alreadyVerified } = await deps.account.resendVerification(session.userId);
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      message: alreadyVerified ? 'Your email address is already verified' : 'Verification email sent',
      email_verified: alreadyVerified,
    });
  });

  router.post('/auth/change-email', deps.limits.limit('sensitive'), async function requestEmailChange(req, res) {
    const session = await requireSession(deps.sessions, req);
    const body = validate(changeEmailBody, req.body);
    const meta = requestMeta(req);
    await deps.limits.consume({ name: 'send:account', points: 3, durationSeconds: 60 }, session.userId);
    await deps.passwords.confirmPasswordIfSet(session.userId, session.email, body.password, meta);
    await deps.account.requestEmailChange({ userId: session.userId, newEmail: normalizeEmail(body.new_email), meta });
    res.setHeader('Cache-Control', 'no-store');
    res.json({ message: 'Check the new address for a confirmation link. Your old address was notified.' });
  });

  const confirm = async function confirmEmailChange(token: string, meta: ReturnType<typeof requestMeta>) {
    const changed = await deps.account.confirmEmailChange(token, meta);
    return { message: 'Email address changed', email: changed.email, email_verified: true as const };
  };
  router.get('/auth/confirm-email-change', deps.limits.limit('redeemToken'), async function confirmEmailChangeFromLink(req, res) {
    const { token } = validate(confirmEmailChangeQuery, req.query);
    res.setHeader('Cache-Control', 'no-store');
    res.json(await confirm(token, requestMeta(req)));
  });
  router.post('/auth/confirm-email-change', deps.limits.limit('redeemToken'), async function confirmEmailChange(req, res) {
    const { token } = validate(confirmEmailChangeBody, req.body);
    res.setHeader('Cache-Control', 'no-store');
    res.json(await confirm(token, requestMeta(req)));
  });

  return router;
}
