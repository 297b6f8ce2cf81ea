import { coreErrors } from '../../core/errors/core.errors';
import { z } from 'zod';
import type { AuthCore } from '../../core/core';
import type { RequestMeta } from '../../core/http/request-meta';
import { defineRoute } from '../../core/http/route';
import { sessionIssuedBody } from '../../core/http/sign-in-response';
import { ACCOUNT_RULES } from '../../core/rate-limit/rate-limit.policies';
import type { ActiveSession } from '../../core/sessions/session.repository';
import { mfaErrors } from './mfa.errors';
import type { MfaService, MfaStatus } from './mfa.service';

/**
 * Seed 000's MFA table. Two public routes finish a sign-in that answered
 * `{mfa_required: true, mfa_token}`; the rest manage the signed-in account's factors.
 *
 * Decisions the seed leaves open:
 * - SMS codes are sent on request, never unasked: `POST /auth/mfa/verify` with
 *   `{mfa_token, method: "sms"}` and no `code` texts a code (202), then the same route with the
 *   code signs in. `disable` and `backup/regenerate` work the same way with `{method: "sms"}`.
 * - `disable` turns MFA off entirely (every factor and backup code) and accepts a current TOTP
 *   code, the outstanding SMS code, or an unused backup code (the lost-phone case).
 * - `backup/regenerate` needs a current TOTP or SMS code: a backup code cannot mint new ones.
 * - The first confirmed factor answers with the ten backup codes, once.
 * - Enrolling needs a recent sign-in (`recent` access; a current second factor at
 *   `/auth/mfa/step-up` renews it); confirming a factor signs out the sessions that never passed
 *   a second factor, except the one enrolling. Disabling and regenerating need a current code.
 */

const mfaToken = z.string().min(1).max(128).describe('The `mfa_token` of the sign-in answer');
const sixDigits = z.string().trim().regex(/^\d{6}$/, 'must be 6 digits');
const anyCode = z.string().trim().min(6).max(32).describe('A 6-digit TOTP/SMS code or a backup code (xxxxx-xxxxx)');
const backupCode = z.string().trim().min(10).max(32).describe('A backup code, `xxxxx-xxxxx` (case, spaces and dashes ignored)');

const codeUnlessSms = (value: { code?: string | undefined; method?: string | undefined }) => value.code !== undefined || value.method === 'sms';
const codeRequired = { message: 'code is required unless method is "sms"', path: ['code'] };

const verifyBody = z
  .object({ mfa_token: mfaToken, code: sixDigits.optional(), method: z.enum(['totp', 'sms']).optional() })
  .strict()
  .refine(codeUnlessSms, codeRequired);
const backupBody = z.object({ mfa_token: mfaToken, code: backupCode }).strict();
const confirmBody = z.object({ code: sixDigits }).strict();
const confirmSmsBody = confirmBody.extend({
  list_phone: z.boolean().optional().describe('Also list the number just proven on the account, for GET /auth/phone/check (off unless asked)'),
});
const smsEnrollBody = z
  .object({ phone: z.string().trim().regex(/^\+[1-9]\d{7,14}$/, 'must be an E.164 number such as +15551234567') })
  .strict();
const disableBody = z
  .object({ code: anyCode.optional(), method: z.enum(['totp', 'sms', 'backup_code']).optional() })
  .strict()
  .refine(codeUnlessSms, codeRequired);
const stepUpBody = z
  .object({ code: sixDigits.optional(), method: z.enum(['totp', 'sms']).optional() })
  .strict()
  .refine(codeUnlessSms, codeRequired);
const regenerateBody = z
  .object({ code: sixDigits.optional(), method: z.enum(['totp', 'sms']).optional() })
  .strict()
  .refine(codeUnlessSms, codeRequired);

const smsSentResponse = z.object({ sms_sent: z.literal(true), phone: z.string(), expires_in: z.number() });
const statusResponse = z.object({
  enabled: z.boolean(),
  methods: z.array(z.enum(['totp', 'sms', 'backup_code'])),
  totp: z.object({ enabled: z.boolean(), pending: z.boolean(), confirmed_at: z.string().nullable() }),
  sms: z.object({ enabled: z.boolean(), pending: z.boolean(), phone: z.string().nullable(), confirmed_at: z.string().nullable() }),
  backup_codes_remaining: z.number().int(),
});
const enrolledResponse = z.object({
  enabled: z.literal(true),
  method: z.enum(['totp', 'sms']),
  revoked_sessions: z.number().int().describe('Sessions that never passed a second factor, signed out (this one stays)'),
  backup_codes: z.array(z.string()).optional().describe('Only when this is the first factor: shown once'),
});
const smsEnrolledResponse = enrolledResponse.extend({ phone_listed: z.boolean().describe('Whether the number is now listed for GET /auth/phone/check') });
const totpEnrollResponse = z.object({
  secret: z.string().describe('Base32, for manual entry'),
  otpauth_uri: z.string(),
  qr_code: z.string().describe('PNG data URL of the otpauth URI'),
});
const backupCodesResponse = z.object({ backup_codes: z.array(z.string()) });

/** The errors of a step-up answer (disable, regenerate) and of confirming a pending factor. */
const stepUpErrors = [
  mfaErrors.codes.codeRejected,
  mfaErrors.codes.stepUpLocked,
  mfaErrors.codes.notEnabled,
  mfaErrors.codes.methodUnavailable,
  mfaErrors.codes.smsDeliveryFailed,
];
const confirmErrors = [mfaErrors.codes.codeRejected, mfaErrors.codes.tooManyAttempts, mfaErrors.codes.alreadyEnrolled, mfaErrors.codes.noPendingEnrollment];
const challengeErrors = [mfaErrors.codes.invalidLoginCode, mfaErrors.codes.challengeInvalid, mfaErrors.codes.methodUnavailable, coreErrors.codes.accountDeactivated];

export function mfaRoutes(core: Pick<AuthCore, 'limits' | 'sendSignInResult'>, mfa: MfaService) {
  const { limits } = core;

  /** Counts the request against the account behind an MFA token, when the token is live. */
  async function limitChallengeAccount(token: string, sendsSms: boolean) {
    const userId = await mfa.findChallengeUser(token);
    if (!userId) return;
    await limits.consume(ACCOUNT_RULES.secondFactor, userId);
    if (sendsSms) await limits.consume(ACCOUNT_RULES.sms, userId);
  }

  /** Texts a step-up code first (`{method: "sms"}` without a code): 202. */
  async function sendStepUpSms(session: ActiveSession, meta: RequestMeta, res: Parameters<typeof core.sendSignInResult>[0]) {
    await limits.consume(ACCOUNT_RULES.sms, session.userId);
    const sent = await mfa.sendStepUpSmsCode(session.userId, meta);
    res.status(202);
    return { sms_sent: true, phone: sent.phone, expires_in: sent.expiresIn };
  }

  /**
   * Confirming a pending TOTP or SMS factor: a code from it turns it on (and, the first time,
   * hands out backup codes); the sessions that never passed a second factor end, but this one.
   */
  const confirmEnrollment = <B extends { code: string }, R extends { backupCodes: string[] | null }>(
    method: 'totp' | 'sms',
    confirm: (userId: string, body: B, meta: RequestMeta) => Promise<R>,
    extras: (result: R) => Record<string, unknown> = () => ({}),
  ) =>
    async function confirmEnrollmentCode({ session, body, meta }: { session: ActiveSession; body: B; meta: RequestMeta }) {
      await limits.consume(ACCOUNT_RULES.manageMfa, session.userId);
      const result = await confirm(session.userId, body, meta);
      const revoked = await mfa.endSessionsWithoutSecondFactor(session.userId, session.id, meta);
      return { enabled: true, method, revoked_sessions: revoked, ...(result.backupCodes ? { backup_codes: result.backupCodes } : {}), ...extras(result) };
    };

  return [
    defineRoute({
      method: 'post',
      path: '/auth/mfa/verify',
      summary: 'Finish an MFA sign-in with a TOTP or SMS code; with method "sms" and no code, text the code first',
      tags: ['mfa'],
      access: 'public',
      limit: 'secondFactor',
      body: verifyBody,
      responses: {
        200: { description: 'Signed in (session cookie set)', body: sessionIssuedBody },
        202: { description: 'SMS code sent', body: smsSentResponse },
      },
      errors: [...challengeErrors, mfaErrors.codes.smsResendLimit, mfaErrors.codes.smsDeliveryFailed],
      async handle({ body, res, meta }) {
        await limitChallengeAccount(body.mfa_token, body.code === undefined);
        if (body.code === undefined) {
          const sent = await mfa.sendSignInSmsCode(body.mfa_token, meta);
          res.status(202);
          return { sms_sent: true, phone: sent.phone, expires_in: sent.expiresIn };
        }
        core.sendSignInResult(res, await mfa.verifySignIn({ mfaToken: body.mfa_token, code: body.code, method: body.method }, meta));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/mfa/backup',
      summary: 'Finish an MFA sign-in with a single-use backup code',
      tags: ['mfa'],
      access: 'public',
      limit: 'secondFactor',
      body: backupBody,
      responses: { 200: { description: 'Signed in (session cookie set); the code is used up', body: sessionIssuedBody } },
      errors: challengeErrors,
      async handle({ body, res, meta }) {
        await limitChallengeAccount(body.mfa_token, false);
        core.sendSignInResult(res, await mfa.verifySignInBackupCode({ mfaToken: body.mfa_token, code: body.code }, meta));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/auth/mfa/status',
      summary: 'Which second factors the signed-in account has',
      tags: ['mfa'],
      access: 'session',
      limit: 'session',
      responses: { 200: { description: 'MFA status', body: statusResponse } },
      async handle({ session }) {
        return statusBody(await mfa.status(session.userId));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/mfa/totp/enroll',
      summary: 'Start TOTP enrollment: a new secret, its otpauth:// URI and a QR code',
      tags: ['mfa'],
      access: 'recent',
      limit: 'sensitive',
      responses: { 200: { description: 'Pending until confirmed', body: totpEnrollResponse } },
      errors: [mfaErrors.codes.alreadyEnrolled],
      async handle({ session, meta }) {
        await limits.consume(ACCOUNT_RULES.manageMfa, session.userId);
        const enrollment = await mfa.startTotpEnrollment({ id: session.userId, email: session.email }, meta);
        return { secret: enrollment.secret, otpauth_uri: enrollment.uri, qr_code: enrollment.qrCode };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/mfa/totp/confirm',
      summary: 'Confirm TOTP enrollment with a code from the authenticator app',
      tags: ['mfa'],
      access: 'recent',
      limit: 'sensitive',
      body: confirmBody,
      responses: { 200: { description: 'TOTP enabled', body: enrolledResponse } },
      errors: confirmErrors,
      handle: confirmEnrollment('totp', (userId, body: { code: string }, meta) => mfa.confirmTotpEnrollment(userId, body.code, meta)),
    }),
    defineRoute({
      method: 'post',
      path: '/auth/mfa/sms/enroll',
      summary: 'Start SMS enrollment: text a 6-digit code to the phone (E.164)',
      tags: ['mfa'],
      access: 'recent',
      limit: 'sensitive',
      body: smsEnrollBody,
      responses: { 200: { description: 'Code sent; pending until confirmed', body: smsSentResponse } },
      errors: [mfaErrors.codes.alreadyEnrolled, mfaErrors.codes.smsDeliveryFailed],
      async handle({ session, body, meta }) {
        await limits.consume(ACCOUNT_RULES.manageMfa, session.userId);
        await limits.consume(ACCOUNT_RULES.sms, session.userId);
        const sent = await mfa.startSmsEnrollment(session.userId, body.phone, meta);
        return { sms_sent: true, phone: sent.phone, expires_in: sent.expiresIn };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/mfa/sms/confirm',
      summary: 'Confirm SMS enrollment with the texted code; with list_phone: true, also list the number for GET /auth/phone/check',
      tags: ['mfa'],
      access: 'recent',
      limit: 'sensitive',
      body: confirmSmsBody,
      responses: { 200: { description: 'SMS enabled', body: smsEnrolledResponse } },
      errors: confirmErrors,
      handle: confirmEnrollment(
        'sms',
        (userId, body: z.infer<typeof confirmSmsBody>, meta) => mfa.confirmSmsEnrollment(userId, body.code, meta, { listPhone: body.list_phone }),
        (result) => ({ phone_listed: result.phoneListed }),
      ),
    }),
    defineRoute({
      method: 'post',
      path: '/auth/mfa/step-up',
      summary:
        'Prove it is you again with a current TOTP or SMS code: this session may then make recent-sign-in changes (enrol a factor, change email or password) for RECENT_SIGN_IN_SECONDS. With method "sms" and no code, texts the code first (202).',
      tags: ['mfa'],
      access: 'session',
      limit: 'sensitive',
      body: stepUpBody,
      responses: {
        200: { description: 'Re-authenticated', body: z.object({ reauthenticated: z.literal(true), method: z.enum(['totp', 'sms']) }) },
        202: { description: 'SMS code sent (method "sms" without code)', body: smsSentResponse },
      },
      errors: stepUpErrors,
      async handle({ session, body, res, meta }) {
        await limits.consume(ACCOUNT_RULES.manageMfa, session.userId);
        if (body.code === undefined) return sendStepUpSms(session, meta, res);
        const method = await mfa.stepUp(session, { code: body.code, method: body.method }, meta);
        return { reauthenticated: true, method };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/mfa/disable',
      summary: 'Turn MFA off (every factor and backup code); needs a current TOTP/SMS code or a backup code',
      tags: ['mfa'],
      access: 'session',
      limit: 'sensitive',
      body: disableBody,
      responses: {
        200: { description: 'MFA disabled', body: z.object({ enabled: z.literal(false) }) },
        202: { description: 'SMS code sent (method "sms" without code)', body: smsSentResponse },
      },
      errors: stepUpErrors,
      async handle({ session, body, res, meta }) {
        await limits.consume(ACCOUNT_RULES.manageMfa, session.userId);
        if (body.code === undefined) return sendStepUpSms(session, meta, res);
        await mfa.disable(session.userId, { code: body.code, method: body.method }, meta);
        return { enabled: false };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/mfa/backup/regenerate',
      summary: 'Replace all backup codes with ten new ones; needs a current TOTP or SMS code',
      tags: ['mfa'],
      access: 'session',
      limit: 'sensitive',
      body: regenerateBody,
      responses: {
        200: { description: 'The new codes, shown once', body: backupCodesResponse },
        202: { description: 'SMS code sent (method "sms" without code)', body: smsSentResponse },
      },
      errors: stepUpErrors,
      async handle({ session, body, res, meta }) {
        await limits.consume(ACCOUNT_RULES.manageMfa, session.userId);
        if (body.code === undefined) return sendStepUpSms(session, meta, res);
        return { backup_codes: await mfa.regenerateBackupCodes(session.userId, { code: body.code, method: body.method }, meta) };
      },
    }),
  ];
}

function statusBody(status: MfaStatus) {
  return {
    enabled: status.enabled,
    methods: status.methods,
    totp: { enabled: status.totp.enabled, pending: status.totp.pending, confirmed_at: status.totp.confirmedAt?.toISOString() ?? null },
    sms: {
      enabled: status.sms.enabled,
      pending: status.sms.pending,
      phone: status.sms.phone,
      confirmed_at: status.sms.confirmedAt?.toISOString() ?? null,
    },
    backup_codes_remaining: status.backupCodesRemaining,
  };
}
