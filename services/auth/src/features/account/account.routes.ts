import type { Request, Response } from 'express';
import { z } from 'zod';
import type { AuthCore } from '../../core/core';
import { coreErrors } from '../../core/errors/core.errors';
import type { DeclaredError } from '../../core/errors/error-catalogue';
import { INVALID_LINK_PAGE, answerJsonOrPage, sendEmailedLinkPage, type HtmlPage } from '../../core/http/html-page';
import type { RequestMeta } from '../../core/http/request-meta';
import { defineRoute } from '../../core/http/route';
import { emailField, normalizeEmail } from '../../core/identities/email';
import { ACCOUNT_RULES } from '../../core/rate-limit/rate-limit.policies';
import { accountErrors } from './account.errors';
import type { AccountService } from './account.service';

const tokenField = z.string().min(1).max(200);
/** At verification: the registration's password, to keep it (without it, the first proof of the mailbox removes it). */
const registrationPassword = z.string().min(1).max(1024).optional();
export const tokenQuery = z.object({ token: tokenField });
/** Either the emailed link's token, or the address and the 6-digit code from the same email. */
export const verifyEmailBody = z.union([
  z.object({ token: tokenField, password: registrationPassword }).strict(),
  z.object({ email: emailField, code: z.string().regex(/^\d{6}$/, 'must be 6 digits'), password: registrationPassword }).strict(),
]);
export const changeEmailBody = z
  .object({
    new_email: emailField,
    /** Required when the account has a password (re-authentication); ignored otherwise. */
    password: z.string().min(1).max(1024).optional(),
  })
  .strict();
export const emailedTokenBody = z.object({ token: tokenField }).strict();
const messageBody = z.object({ message: z.string() });
const verifiedBody = z.object({ message: z.string(), email: z.string(), email_verified: z.literal(true) });
const verifiedEmailBody = verifiedBody.extend({ password_kept: z.boolean() });

/** Re-authentication before an email change, provided by the passwords feature. */
export type ConfirmPasswordIfSet = (userId: string, email: string, password: string | undefined, meta: RequestMeta) => Promise<void>;


/** The verification form; after a wrong password, again with the reason on top. */
const verificationPage = (token: string, notice?: string): HtmlPage => ({
  title: 'Verify your email address',
  paragraphs: [...(notice ? [notice] : []), 'Confirm that this address belongs to your Malet account.'],
  form: {
    action: '/auth/verify-email',
    hidden: { token },
    fields: [
      {
        name: 'password',
        label: 'Password (if you chose one when you signed up)',
        type: 'password',
        autocomplete: 'current-password',
        maxLength: 1024,
        hint: 'Enter it to keep it. Without it, the password set at sign-up is removed: you then sign in with emailed codes or links, or choose a new password.',
      },
    ],
    submit: 'Verify my email',
  },
});

/** The page a refused form post shows: the error's own message. */
const refusedPage = (title: string) => (error: { message: string }): HtmlPage => ({ title, paragraphs: [error.message] });

/**
 * Seed 002's account operations: email verification, email change and its undo. Each emailed
 * link opens a page (GET spends nothing, so a mail scanner that prefetches links cannot use them
 * up); its form posts back to the same path, which answers API clients in JSON and forms with a
 * page.
 */
export function accountRoutes(
  core: Pick<AuthCore, 'limits'>,
  account: AccountService,
  deps: { confirmPasswordIfSet: ConfirmPasswordIfSet; reauthenticationErrors: DeclaredError[] },
) {
  /** The page an emailed link opens: the form that redeems the token, or why it cannot. */
  const linkPage = (purpose: Parameters<AccountService['isLive']>[0], page: (token: string) => HtmlPage) =>
    function showLinkPage({ req, res }: { req: Request; res: Response }) {
      return sendEmailedLinkPage(req, res, { isLive: (token) => account.isLive(purpose, token), page });
    };
  const linkPageRoute = { method: 'get', tags: ['Account'], access: 'public', limit: 'standard', query: tokenQuery, validatesOwnInput: true } as const;
  const linkPageResponses = { 200: { description: 'HTML page whose form posts the token back' }, 400: { description: 'HTML page: the link is invalid, expired or used' } };

  return [
    defineRoute({
      ...linkPageRoute,
      path: '/auth/verify-email',
      summary: 'The verification link in the email: a page whose form verifies the address (opening it spends nothing)',
      responses: linkPageResponses,
      handle: linkPage('verify_email', (token) => verificationPage(token)),
    }),
    defineRoute({
      method: 'post',
      path: '/auth/verify-email',
      summary:
        'Verify the email address with the emailed token, or with email and 6-digit code (5 attempts). The first proof of an address retires whatever its unproven holder had (password, sessions, MFA, pending email changes), unless `password` is the account\'s own: then it is kept. JSON in, JSON out; a form post gets a page.',
      tags: ['Account'],
      access: 'public',
      limit: 'redeemToken',
      body: verifyEmailBody,
      validatesOwnInput: true,
      responses: { 200: { description: 'Verified (a page for a form post)', body: verifiedEmailBody } },
      errors: [coreErrors.codes.invalidAccountToken, accountErrors.codes.invalidCode, ...deps.reauthenticationErrors],
      handle: ({ req, res, meta }) =>
        answerJsonOrPage(req, res, {
          schema: verifyEmailBody,
          run: (body) =>
            'token' in body
              ? account.verifyEmailByToken(body.token, meta, body.password)
              : account.verifyEmailByCode(normalizeEmail(body.email), body.code, meta, body.password),
          json: ({ email, passwordKept }) => ({ message: 'Email verified', email, email_verified: true as const, password_kept: passwordKept }),
          done: ({ email, passwordKept }) => ({
            title: 'Email verified',
            paragraphs: [
              `${email} is verified.`,
              passwordKept ? 'Sign in with your password as before.' : 'Sign in with a code or link sent to this address, or choose a password.',
            ],
            links: passwordKept ? [] : [{ href: '/auth/forgot-password', text: 'Choose a password' }],
          }),
          // A wrong password leaves the link usable: the form again, with the reason.
          refused: (error) => {
            const token = (req.body as { token?: unknown }).token;
            return error.status === 403 && typeof token === 'string' ? verificationPage(token, error.message) : INVALID_LINK_PAGE;
          },
        }),
    }),
    defineRoute({
      method: 'post',
      path: '/auth/resend-verification-email',
      summary: 'Email a new verification link and code to the signed-in user (older ones stop working)',
      tags: ['Account'],
      access: 'session',
      limit: 'sendCode',
      responses: { 200: { description: 'Sent, or nothing to do when already verified', body: messageBody.extend({ email_verified: z.boolean() }) } },
      errors: [coreErrors.codes.mailUnavailable],
      async handle({ session }) {
        // Per account as well as per IP: one signed-in user cannot mail-bomb their own inbox.
        await core.limits.consume(ACCOUNT_RULES.mailForAccount, session.userId);
        const { alreadyVerified } = await account.resendVerification(session.userId);
        return { message: alreadyVerified ? 'Your email address is already verified' : 'Verification email sent', email_verified: alreadyVerified };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/change-email',
      summary:
        'Request an email change (needs a recent sign-in, and the password when the account has one): a confirmation link goes to the new address, a notice to the old one',
      tags: ['Account'],
      access: 'recent',
      limit: 'emailChange',
      body: changeEmailBody,
      responses: { 200: { description: 'Confirmation sent (the answer does not say whether the new address is taken)', body: messageBody } },
      errors: [accountErrors.codes.sameEmail, ...deps.reauthenticationErrors, coreErrors.codes.mailUnavailable],
      async handle({ session, body, meta }) {
        await core.limits.consume(ACCOUNT_RULES.mailForAccount, session.userId);
        await deps.confirmPasswordIfSet(session.userId, session.email, body.password, meta);
        await account.requestEmailChange({ userId: session.userId, sessionId: session.id, newEmail: normalizeEmail(body.new_email), meta });
        return { message: 'Check the new address for a confirmation link. Your old address was notified.' };
      },
    }),
    defineRoute({
      ...linkPageRoute,
      path: '/auth/confirm-email-change',
      summary: 'The confirmation link sent to the new address: a page whose form confirms the change (opening it spends nothing)',
      responses: linkPageResponses,
      handle: linkPage('change_email', (token) => ({
        title: 'Confirm your new email address',
        paragraphs: ['Your Malet account will sign in with this address from now on, and its other sessions will be signed out.'],
        form: { action: '/auth/confirm-email-change', hidden: { token }, submit: 'Confirm my new email' },
      })),
    }),
    defineRoute({
      method: 'post',
      path: '/auth/confirm-email-change',
      summary:
        'Confirm an email change with the token emailed to the new address (single use, 1 hour): other sessions are signed out and the old address gets a link that undoes it. A form post gets a page.',
      tags: ['Account'],
      access: 'public',
      limit: 'redeemToken',
      body: emailedTokenBody,
      validatesOwnInput: true,
      responses: { 200: { description: 'Changed; the new address is verified and the old one notified (a page for a form post)', body: verifiedBody } },
      errors: [coreErrors.codes.invalidAccountToken, accountErrors.codes.emailTaken],
      handle: ({ req, res, meta }) =>
        answerJsonOrPage(req, res, {
          schema: emailedTokenBody,
          run: (body) => account.confirmEmailChange(body.token, meta),
          json: ({ email }) => ({ message: 'Email address changed', email, email_verified: true as const }),
          done: ({ email }) => ({ title: 'Email address changed', paragraphs: [`Your Malet account now signs in with ${email}.`] }),
          refused: (error) => (error.status === 409 ? refusedPage('The address is taken')(error) : INVALID_LINK_PAGE),
        }),
    }),
    defineRoute({
      ...linkPageRoute,
      path: '/auth/undo-email-change',
      summary: 'The undo link sent to the address an email change replaced: a page whose form undoes it (opening it spends nothing)',
      responses: linkPageResponses,
      handle: linkPage('undo_email_change', (token) => ({
        title: 'Undo the email change',
        paragraphs: ['Your Malet account will sign in with this address again, and every session, including the one that made the change, will be signed out.'],
        form: { action: '/auth/undo-email-change', hidden: { token }, submit: 'Undo the change' },
      })),
    }),
    defineRoute({
      method: 'post',
      path: '/auth/undo-email-change',
      summary:
        'Undo an email change with the token emailed to the replaced address (single use, 7 days): the account moves back to it and every session is signed out. A form post gets a page.',
      tags: ['Account'],
      access: 'public',
      limit: 'redeemToken',
      body: emailedTokenBody,
      validatesOwnInput: true,
      responses: { 200: { description: 'Restored (a page for a form post)', body: verifiedBody } },
      errors: [coreErrors.codes.invalidAccountToken, accountErrors.codes.emailTaken],
      handle: ({ req, res, meta }) =>
        answerJsonOrPage(req, res, {
          schema: emailedTokenBody,
          run: (body) => account.undoEmailChange(body.token, meta),
          json: ({ email }) => ({ message: 'Email change undone', email, email_verified: true as const }),
          done: ({ email }) => ({
            title: 'Email change undone',
            paragraphs: [`Your Malet account signs in with ${email} again, and every session was signed out.`, 'If someone else knew your password, choose a new one.'],
            links: [{ href: '/auth/forgot-password', text: 'Choose a new password' }],
          }),
          refused: (error) => (error.status === 409 ? refusedPage('The address is taken')(error) : INVALID_LINK_PAGE),
        }),
    }),
  ];
}
