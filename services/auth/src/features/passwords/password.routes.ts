import { z } from 'zod';
import type { AuthCore } from '../../core/core';
import { coreErrors } from '../../core/errors/core.errors';
import { defineRoute } from '../../core/http/route';
import { mfaRequiredBody, sessionIssuedBody } from '../../core/http/sign-in-response';
import { emailField, normalizeEmail } from '../../core/identities/email';
import { passwordErrors } from './password.errors';
import type { PasswordService } from './password.service';

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

export const registerBody = z.object({ email: emailField, password: passwordField, name: displayName.optional() }).strict();
export const registerResponse = z.object({
  message: z.string(),
  user: z.object({ email: z.string(), name: z.string().nullable() }),
});
export const loginBody = z.object({ email: emailField, password: passwordField }).strict();
export const passwordSessionBody = sessionIssuedBody.extend({
  user: z.object({ id: z.string(), email: z.string(), email_verified: z.boolean() }),
});
export const forgotPasswordBody = z.object({ email: emailField }).strict();
export const resetPasswordBody = z.object({ token: z.string().min(1).max(200), password: passwordField }).strict();
export const changePasswordBody = z.object({ current_password: passwordField, new_password: passwordField }).strict();
export const reauthenticateBody = z.object({ password: passwordField }).strict();
const messageBody = z.object({ message: z.string() });

const REGISTERED_MESSAGE = 'Check your email to verify your address, then sign in.';
const FORGOT_MESSAGE = 'If an account exists for that email, a reset link is on its way.';

/** Codes the password policy answers for a rejected new password. */
const rejectedPassword = [
  passwordErrors.codes.tooShort,
  passwordErrors.codes.tooLong,
  passwordErrors.codes.common,
  passwordErrors.codes.breached,
  passwordErrors.codes.containsEmail,
];

export function passwordRoutes(core: Pick<AuthCore, 'limits' | 'sendSignInResult'>, passwords: PasswordService) {
  return [
    defineRoute({
      method: 'post',
      path: '/auth/register',
      summary: 'Create a password account; a verification link and code are emailed. Does not sign in.',
      tags: ['Passwords'],
      access: 'public',
      limit: 'signUp',
      body: registerBody,
      responses: {
        201: {
          description:
            'Accepted. Identical for a new email and one that already has an account (whose owner is emailed instead), so the answer reveals nothing; for the same reason `user` carries no id. Sign in with POST /auth/login (allowed before the email is verified).',
          body: registerResponse,
        },
      },
      errors: rejectedPassword,
      async handle({ body, res, meta }) {
        // Every registration mails the address (a verification, or "you already have an account"):
        // the signUp policy counts it against the address's mail budget, so no inbox can be flooded.
        const email = normalizeEmail(body.email);
        await passwords.register({ email, password: body.password, name: body.name, meta });
        res.status(201);
        return { message: REGISTERED_MESSAGE, user: { email, name: body.name ?? null } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/login',
      summary: 'Sign in with email and password (session cookie set, token in the body); unverified emails may sign in and see `email_verified: false`',
      tags: ['Passwords'],
      access: 'public',
      limit: 'signIn',
      body: loginBody,
      responses: { 200: { description: 'Signed in, or a second factor is due (`mfa_required`)', body: z.union([passwordSessionBody, mfaRequiredBody]) } },
      errors: [passwordErrors.codes.invalidCredentials, passwordErrors.codes.locked],
      async handle({ body, res, meta }) {
        const { result, emailVerified } = await passwords.login({ email: normalizeEmail(body.email), password: body.password, meta });
        // Unverified accounts may sign in; the answer says whether the address is verified.
        core.sendSignInResult(res, result, { email_verified: emailVerified });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/forgot-password',
      summary: 'Email a single-use password reset link (valid 1 hour)',
      tags: ['Passwords'],
      access: 'public',
      limit: 'sendCode',
      body: forgotPasswordBody,
      responses: { 200: { description: 'Always the same answer, whether or not an account exists', body: messageBody } },
      async handle({ body, meta }) {
        await passwords.forgotPassword({ email: normalizeEmail(body.email), meta });
        return { message: FORGOT_MESSAGE };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/reset-password',
      summary: 'Set a new password with the emailed token; every session of the account is signed out',
      tags: ['Passwords'],
      access: 'public',
      limit: 'redeemToken',
      body: resetPasswordBody,
      responses: { 200: { description: 'Password changed', body: messageBody } },
      // A rejected password leaves the token usable.
      errors: [coreErrors.codes.invalidAccountToken, ...rejectedPassword],
      async handle({ body, meta }) {
        await passwords.resetPassword({ token: body.token, password: body.password, meta });
        return { message: 'Password changed. Sign in with your new password.' };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/change-password',
      summary: 'Change the password (needs a recent sign-in and the current password); other sessions are signed out',
      tags: ['Passwords'],
      access: 'recent',
      limit: 'sensitive',
      body: changePasswordBody,
      responses: { 200: { description: 'Changed', body: messageBody.extend({ revoked_sessions: z.number().int() }) } },
      errors: [passwordErrors.codes.wrongPassword, passwordErrors.codes.locked, ...rejectedPassword],
      async handle({ session, body, meta }) {
        const { revokedSessions } = await passwords.changePassword({
          userId: session.userId,
          sessionId: session.id,
          currentPassword: body.current_password,
          newPassword: body.new_password,
          meta,
        });
        return { message: 'Password changed. Other sessions were signed out.', revoked_sessions: revokedSessions };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/reauthenticate',
      summary:
        'Prove it is you again with the password: this session may then make recent-sign-in changes (change email or password, enrol a factor) for RECENT_SIGN_IN_SECONDS',
      tags: ['Passwords'],
      access: 'session',
      limit: 'sensitive',
      body: reauthenticateBody,
      responses: { 200: { description: 'Re-authenticated', body: z.object({ reauthenticated: z.literal(true) }) } },
      errors: [passwordErrors.codes.wrongPassword, passwordErrors.codes.locked, passwordErrors.codes.noPassword],
      async handle({ session, body, meta }) {
        await passwords.reauthenticate(session, body.password, meta);
        return { reauthenticated: true };
      },
    }),
  ];
}
