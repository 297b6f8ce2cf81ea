import { z } from 'zod';
import type { AuthCore } from '../../core/core';
import { coreErrors } from '../../core/errors/core.errors';
import { INVALID_LINK_PAGE, answerJsonOrPage, sendEmailedLinkPage, sendPage, type HtmlPage } from '../../core/http/html-page';
import { defineRoute } from '../../core/http/route';
import { mfaRequiredBody, sessionIssuedBody } from '../../core/http/sign-in-response';
import { emailField, normalizeEmail } from '../../core/identities/email';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, passwordErrors } from './password.errors';
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
const RESET_MESSAGE = 'Password changed. Sign in with your new password.';

/** The page emails link to for a forgotten password: one labelled field. */
const forgotPasswordPage = (notice?: string): HtmlPage => ({
  title: 'Forgot your password?',
  paragraphs: [...(notice ? [notice] : []), 'Enter the email address of your Malet account: a link to choose a new password is sent to it.'],
  form: {
    action: '/auth/forgot-password',
    fields: [{ name: 'email', label: 'Email address', type: 'email', autocomplete: 'email', required: true, maxLength: 254 }],
    submit: 'Email me a reset link',
  },
});

/** The reset link's page: the new password; after a refused one, again with the reason. */
const resetPasswordPage = (token: string, notice?: string): HtmlPage => ({
  title: 'Choose a new password',
  paragraphs: notice ? [notice] : [],
  form: {
    action: '/auth/reset-password',
    hidden: { token },
    fields: [
      {
        name: 'password',
        label: 'New password',
        type: 'password',
        autocomplete: 'new-password',
        required: true,
        minLength: PASSWORD_MIN_LENGTH,
        maxLength: PASSWORD_MAX_LENGTH,
        hint: `At least ${PASSWORD_MIN_LENGTH} characters; not a common password, not your email address.`,
      },
    ],
    submit: 'Set my new password',
  },
});

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
      errors: [passwordErrors.codes.invalidCredentials, passwordErrors.codes.locked, coreErrors.codes.accountDeactivated],
      async handle({ body, res, meta }) {
        const { result, emailVerified } = await passwords.login({ email: normalizeEmail(body.email), password: body.password, meta });
        // Unverified accounts may sign in; the answer says whether the address is verified.
        core.sendSignInResult(res, result, { email_verified: emailVerified });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/auth/forgot-password',
      summary: 'A page asking for the address to send a reset link to (emails link here)',
      tags: ['Passwords'],
      access: 'public',
      limit: 'staticPage',
      responses: { 200: { description: 'HTML page whose form posts to POST /auth/forgot-password' } },
      handle({ res }) {
        sendPage(res, 200, forgotPasswordPage());
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/forgot-password',
      summary: 'Email a single-use password reset link (valid 1 hour). JSON in, JSON out; a form post gets a page.',
      tags: ['Passwords'],
      access: 'public',
      limit: 'sendCode',
      body: forgotPasswordBody,
      validatesOwnInput: true,
      responses: { 200: { description: 'Always the same answer, whether or not an account exists (a page for a form post)', body: messageBody } },
      handle: ({ req, res, meta }) =>
        answerJsonOrPage(req, res, {
          schema: forgotPasswordBody,
          run: (body) => passwords.forgotPassword({ email: normalizeEmail(body.email), meta }),
          json: () => ({ message: FORGOT_MESSAGE }),
          done: () => ({ title: 'Check your email', paragraphs: [FORGOT_MESSAGE, 'The link works once, for 1 hour.'] }),
          refused: () => forgotPasswordPage('That is not an email address.'),
        }),
    }),
    defineRoute({
      method: 'get',
      path: '/auth/reset-password',
      summary: 'The link in the reset email: a page whose form sets the new password (opening it spends nothing)',
      tags: ['Passwords'],
      access: 'public',
      limit: 'standard',
      query: z.object({ token: z.string().min(1).max(200) }),
      validatesOwnInput: true,
      responses: {
        200: { description: 'HTML page whose form posts the token and the new password' },
        400: { description: 'HTML page: the link is invalid, expired or used' },
      },
      handle: ({ req, res }) => sendEmailedLinkPage(req, res, { isLive: passwords.isResetLinkLive, page: (token) => resetPasswordPage(token) }),
    }),
    defineRoute({
      method: 'post',
      path: '/auth/reset-password',
      summary: 'Set a new password with the emailed token; every session of the account is signed out. A form post gets a page.',
      tags: ['Passwords'],
      access: 'public',
      limit: 'redeemToken',
      body: resetPasswordBody,
      validatesOwnInput: true,
      responses: { 200: { description: 'Password changed (a page for a form post)', body: messageBody } },
      // A rejected password leaves the token usable.
      errors: [coreErrors.codes.invalidAccountToken, ...rejectedPassword],
      handle: ({ req, res, meta }) =>
        answerJsonOrPage(req, res, {
          schema: resetPasswordBody,
          run: (body) => passwords.resetPassword({ token: body.token, password: body.password, meta }),
          json: () => ({ message: RESET_MESSAGE }),
          done: () => ({ title: 'Password changed', paragraphs: [RESET_MESSAGE, 'Every session of the account was signed out.'] }),
          // A rejected password leaves the link usable: the form again, with the reason.
          refused: (error) => {
            const token = (req.body as { token?: unknown }).token;
            return error.code !== coreErrors.codes.invalidAccountToken.code && typeof token === 'string' ? resetPasswordPage(token, error.message) : INVALID_LINK_PAGE;
          },
        }),
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
