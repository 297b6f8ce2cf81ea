import { Router, type Request } from 'express';
import { z } from 'zod';
import { UnauthenticatedError } from '@malet/errors';
import { validate } from '@malet/http-server';
import { readCredential } from '@malet/session-client';
import type { ActiveSession } from '../data/session.repository';
import { normalizeEmail } from '../domain/email';
import type { PasswordService } from '../domain/password.service';
import type { SessionService } from '../domain/session.service';
import { documentRoute, mfaRequiredBody, sessionIssuedBody } from './openapi';
import type { RateLimitGuard } from './rate-limit';
import type { CookieSettings } from './session-cookie';
import { requestMeta, sendSignInResult } from './sign-in-response';

/** ASCII address syntax, at most 254 characters (RFC 5321); lookups use the normalised spelling. */
export const accountEmailField = z.email().max(254).meta({ example: 'user@example.com' });
/**
 * The wire bound on a password: generous, so the policy (8 to 256 characters, not common, not
 * breached) can say precisely what is wrong; anything longer is refused before it is hashed.
 */
const passwordField = z.string().min(1).max(1024).meta({ example: 'correct horse battery staple' });
/** No control characters (newlines, NUL, bidi overrides would end up in emails and logs). */
const displayName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[^\p{Cc}\p{Cf}]*$/u, 'must not contain control characters');

export const registerBody = z.object({ email: accountEmailField, password: passwordField, name: displayName.optional() }).strict();
export const registerResponse = z.object({
  message: z.string(),
  user: z.object({ email: z.string(), name: z.string().nullable() }),
});
export const loginBody = z.object({ email: accountEmailField, password: passwordField }).strict();
export const passwordSessionBody = sessionIssuedBody.extend({
  user: z.object({ id: z.string(), email: z.string(), email_verified: z.boolean() }),
});
export const forgotPasswordBody = z.object({ email: accountEmailField }).strict();
export const resetPasswordBody = z.object({ token: z.string().min(1).max(200), password: passwordField }).strict();
export const changePasswordBody = z.object({ current_password: passwordField, new_password: passwordField }).strict();
const messageBody = z.object({ message: z.string() });

/** The same rule (name and numbers) as the `send:address` check of rate-limit.ts's sendCode policy. */
const MAIL_PER_ADDRESS = { name: 'send:address', points: 3, durationSeconds: 60 };

const REGISTERED_MESSAGE = 'Check your email to verify your address, then sign in.';
const FORGOT_MESSAGE = 'If an account exists for that email, a reset link is on its way.';

documentRoute({
  method: 'post',
  path: '/auth/register',
  summary: 'Create a password account; a verification link and code are emailed. Does not sign in.',
  tags: ['Passwords'],
  auth: 'none',
  body: registerBody,
  responses: {
    201: {
      description:
        'Accepted. Identical for a new email and one that already has an account (whose owner is emailed instead), so the answer reveals nothing; for the same reason `user` carries no id. Sign in with POST /auth/login (allowed before the email is verified).',
      body: registerResponse,
    },
    400: { description: 'Invalid body, or a rejected password: `auth:password_too_short`, `_too_long`, `_common`, `_breached`, `_contains_email`' },
    429: { description: 'Too many sign-ups from this client (Retry-After)' },
  },
});
documentRoute({
  method: 'post',
  path: '/auth/login',
  summary: 'Sign in with email and password (session cookie set, token in the body); unverified emails may sign in and see `email_verified: false`',
  tags: ['Passwords'],
  auth: 'none',
  body: loginBody,
  responses: {
    200: { description: 'Signed in, or a second factor is due (`mfa_required`)', body: z.union([passwordSessionBody, mfaRequiredBody]) },
    400: { description: 'Invalid body' },
    401: { description: '`auth:invalid_credentials`: the same answer for an unknown email and a wrong password' },
    429: { description: '`auth:password_locked` after repeated failures (password only; email codes still work), or rate limited; Retry-After' },
  },
});
documentRoute({
  method: 'post',
  path: '/auth/forgot-password',
  summary: 'Email a single-use password reset link (valid 1 hour)',
  tags: ['Passwords'],
  auth: 'none',
  body: forgotPasswordBody,
  responses: {
    200: { description: 'Always the same answer, whether or not an account exists', body: messageBody },
    400: { description: 'Invalid body' },
    429: { description: 'Too many requests (Retry-After)' },
  },
});
documentRoute({
  method: 'post',
  path: '/auth/reset-password',
  summary: 'Set a new password with the emailed token; every session of the account is signed out',
  tags: ['Passwords'],
  auth: 'none',
  body: resetPasswordBody,
  responses: {
    200: { description: 'Password changed', body: messageBody },
    400: { description: '`auth:invalid_token` (unknown, expired or used), or a rejected password (the token stays usable)' },
    429: { description: 'Too many requests (Retry-After)' },
  },
});
documentRoute({
  method: 'post',
  path: '/auth/change-password',
  summary: 'Change the password (the current one is required); other sessions are signed out',
  tags: ['Passwords'],
  auth: 'session',
  body: changePasswordBody,
  responses: {
    200: { description: 'Changed', body: messageBody.extend({ revoked_sessions: z.number().int() }) },
    400: { description: 'Invalid body or rejected new password' },
    401: { description: 'No valid session' },
    403: { description: '`auth:wrong_password`' },
    429: { description: '`auth:password_locked` or rate limited (Retry-After)' },
  },
});

/** The session behind the request's cookie or Bearer token, or 401. */
export async function requireSession(sessions: SessionService, req: Request): Promise<ActiveSession> {
  const token = readCredential(req.headers)?.token;
  if (!token) throw new UnauthenticatedError('Session required', 'auth:invalid_session');
  return sessions.getActiveOrThrow(token);
}

export function passwordRoutes(deps: {
  passwords: PasswordService;
  sessions: SessionService;
  limits: RateLimitGuard;
  cookie: CookieSettings;
}): Router {
  const router = Router();
  const ttlSeconds = deps.sessions.ttlSeconds;

  router.post('/auth/register', deps.limits.limit('signUp'), async function registerWithPassword(req, res) {
    const body = validate(registerBody, req.body);
    const email = normalizeEmail(body.email);
    // Every registration mails the address (a verification, or "you already have an account"):
    // it shares the per-address mail budget of the sendCode policy, so no inbox can be flooded.
    await deps.limits.consume(MAIL_PER_ADDRESS, email);
    await deps.passwords.register({ email, password: body.password, name: body.name, meta: requestMeta(req) });
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).json({ message: REGISTERED_MESSAGE, user: { email, name: body.name ?? null } });
  });

  router.post('/auth/login', deps.limits.limit('signIn'), async function logInWithPassword(req, res) {
    const body = validate(loginBody, req.body);
    const { result, emailVerified } = await deps.passwords.login({
      email: normalizeEmail(body.email),
      password: body.password,
      meta: requestMeta(req),
    });
    // Unverified accounts may sign in; the answer says whether the address is verified.
    sendSignInResult(res, result, { ttlSeconds, cookie: deps.cookie, userExtras: { email_verified: emailVerified } });
  });

  router.post('/auth/forgot-password', deps.limits.limit('sendCode'), async function requestPasswordReset(req, res) {
    const { email } = validate(forgotPasswordBody, req.body);
    await deps.passwords.forgotPassword({ email: normalizeEmail(email), meta: requestMeta(req) });
    res.setHeader('Cache-Control', 'no-store');
    res.json({ message: FORGOT_MESSAGE });
  });

  router.post('/auth/reset-password', deps.limits.limit('redeemToken'), async function resetPassword(req, res) {
    const body = validate(resetPasswordBody, req.body);
    await deps.passwords.resetPassword({ token: body.token, password: body.password, meta: requestMeta(req) });
    res.setHeader('Cache-Control', 'no-store');
    res.json({ message: 'Password changed. Sign in with your new password.' });
  });

  router.post('/auth/change-password', deps.limits.limit('sensitive'), async function changePassword(req, res) {
    const session = await requireSession(deps.sessions, req);
    const body = validate(changePasswordBody, req.body);
    const { revokedSessions } = await deps.passwords.changePassword({
      userId: session.userId,
      sessionId: session.id,
      currentPassword: body.current_password,
      newPassword: body.new_password,
      meta: requestMeta(req),
    });
    res.setHeader('Cache-Control', 'no-store');
    res.json({ message: 'Password changed. Other sessions were signed out.', revoked_sessions: revokedSessions });
  });

  return router;
}
