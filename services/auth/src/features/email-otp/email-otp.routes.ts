import { z } from 'zod';
import type { AuthCore } from '../../core/core';
import { coreErrors } from '../../core/errors/core.errors';
import { defineRoute } from '../../core/http/route';
import { signInResponseBody } from '../../core/http/sign-in-response';
import { emailField, normalizeEmail } from '../../core/identities/email';
import { emailOtpErrors } from './email-otp.errors';
import type { EmailOtpService } from './email-otp.service';

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

export function emailOtpRoutes(core: Pick<AuthCore, 'sendSignInResult'>, otp: EmailOtpService) {
  return [
    defineRoute({
      method: 'post',
      path: '/auth/email/login/start',
      summary: 'Send a 6-digit sign-in code by email (valid 10 minutes; a new code replaces older ones)',
      tags: ['Email OTP'],
      access: 'public',
      limit: 'sendCode',
      body: emailLoginStartBody,
      responses: {
        200: {
          description: 'Sent. The answer is the same whether or not an account exists: unknown emails sign up on first verified login.',
          body: emailLoginStartResponse,
        },
      },
      errors: [coreErrors.codes.mailUnavailable],
      async handle({ body, meta }) {
        const { expiresIn } = await otp.start({ email: normalizeEmail(body.email), meta });
        return { success: true, expires_in: expiresIn };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/email/login/finish',
      summary: 'Verify the code and sign in (session cookie set, token in the body)',
      tags: ['Email OTP'],
      access: 'public',
      limit: 'signIn',
      body: emailLoginFinishBody,
      responses: { 200: { description: 'Signed in, or a second factor is due (`mfa_required`)', body: signInResponseBody } },
      errors: [emailOtpErrors.codes.invalidCode, emailOtpErrors.codes.codeExpired, coreErrors.codes.accountDeactivated],
      async handle({ body, res, meta }) {
        core.sendSignInResult(res, await otp.finish({ email: normalizeEmail(body.email), code: body.code, meta }));
      },
    }),
  ];
}
