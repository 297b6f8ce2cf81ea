import { z } from 'zod';
import type { AuthCore } from '../../core/core';
import { coreErrors } from '../../core/errors/core.errors';
import type { RequestMeta } from '../../core/http/request-meta';
import { defineRoute } from '../../core/http/route';
import { emailField, normalizeEmail } from '../../core/identities/email';
import type { DeclaredError } from '../../core/errors/error-catalogue';
import { ACCOUNT_RULES } from '../../core/rate-limit/rate-limit.policies';
import { accountErrors } from './account.errors';
import type { AccountService } from './account.service';

const tokenField = z.string().min(1).max(200);
export const verifyEmailQuery = z.object({ token: tokenField });
/** Either the emailed link's token, or the address and the 6-digit code from the same email. */
export const verifyEmailBody = z.union([
  z.object({ token: tokenField }).strict(),
  z.object({ email: emailField, code: z.string().regex(/^\d{6}$/, 'must be 6 digits') }).strict(),
]);
export const changeEmailBody = z
  .object({
    new_email: emailField,
    /** Required when the account has a password (re-authentication); ignored otherwise. */
    password: z.string().min(1).max(1024).optional(),
  })
  .strict();
export const confirmEmailChangeBody = z.object({ token: tokenField }).strict();
export const confirmEmailChangeQuery = z.object({ token: tokenField });
const messageBody = z.object({ message: z.string() });
const verifiedBody = z.object({ message: z.string(), email: z.string(), email_verified: z.literal(true) });

/** Re-authentication before an email change, provided by the passwords feature. */
export type ConfirmPasswordIfSet = (userId: string, email: string, password: string | undefined, meta: RequestMeta) => Promise<void>;

/** Seed 002's account operations: email verification and email change. */
export function accountRoutes(
  core: Pick<AuthCore, 'limits'>,
  account: AccountService,
  deps: { confirmPasswordIfSet: ConfirmPasswordIfSet; reauthenticationErrors: DeclaredError[] },
) {
  const verifyEmail = {
    path: '/auth/verify-email',
    tags: ['Account'],
    access: 'public',
    limit: 'redeemToken',
    responses: { 200: { description: 'Verified', body: verifiedBody } },
    errors: [coreErrors.codes.invalidAccountToken, accountErrors.codes.invalidCode],
  } as const;
  const verified = ({ email }: { email: string }) => ({ message: 'Email verified', email, email_verified: true as const });
  const confirmEmailChange = {
    path: '/auth/confirm-email-change',
    summary: 'Confirm an email change with the token emailed to the new address (single use, 1 hour)',
    tags: ['Account'],
    access: 'public',
    limit: 'redeemToken',
    responses: { 200: { description: 'Changed; the new address is verified and the old one notified', body: verifiedBody } },
    errors: [coreErrors.codes.invalidAccountToken, accountErrors.codes.emailTaken],
  } as const;
  const changed = async (token: string, meta: RequestMeta) => {
    const { email } = await account.confirmEmailChange(token, meta);
    return { message: 'Email address changed', email, email_verified: true as const };
  };

  return [
    defineRoute({
      ...verifyEmail,
      method: 'get',
      summary: 'Verify the email address from the emailed link (`?token=`)',
      query: verifyEmailQuery,
      handle: async ({ query, meta }) => verified(await account.verifyEmailByToken(query.token, meta)),
    }),
    defineRoute({
      ...verifyEmail,
      method: 'post',
      summary: 'Verify the email address with the emailed token, or with email and 6-digit code (5 attempts)',
      body: verifyEmailBody,
      handle: async ({ body, meta }) =>
        verified('token' in body ? await account.verifyEmailByToken(body.token, meta) : await account.verifyEmailByCode(normalizeEmail(body.email), body.code, meta)),
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
      summary: 'Request an email change: a confirmation link goes to the new address, a notice to the old one',
      tags: ['Account'],
      access: 'session',
      limit: 'sensitive',
      body: changeEmailBody,
      responses: { 200: { description: 'Confirmation sent (the answer does not say whether the new address is taken)', body: messageBody } },
      errors: [accountErrors.codes.sameEmail, ...deps.reauthenticationErrors, coreErrors.codes.mailUnavailable],
      async handle({ session, body, meta }) {
        await core.limits.consume(ACCOUNT_RULES.mailForAccount, session.userId);
        await deps.confirmPasswordIfSet(session.userId, session.email, body.password, meta);
        await account.requestEmailChange({ userId: session.userId, newEmail: normalizeEmail(body.new_email), meta });
        return { message: 'Check the new address for a confirmation link. Your old address was notified.' };
      },
    }),
    defineRoute({ ...confirmEmailChange, method: 'get', query: confirmEmailChangeQuery, handle: ({ query, meta }) => changed(query.token, meta) }),
    defineRoute({ ...confirmEmailChange, method: 'post', body: confirmEmailChangeBody, handle: ({ body, meta }) => changed(body.token, meta) }),
  ];
}
