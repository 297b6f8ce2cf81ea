import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { readCredential } from '@malet/session-client';
import { validate } from '@malet/http-server';
import type { LimitRule } from '../infra/rate-limiter';
import type { MfaService, MfaStatus } from '../domain/mfa.service';
import type { SessionService } from '../domain/session.service';
import { documentRoute, sessionIssuedBody } from './openapi';
import type { RateLimitGuard } from './rate-limit';
import type { CookieSettings } from './session-cookie';
import { requestMeta, sendSignInResult } from './sign-in-response';

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
const smsEnrollBody = z
  .object({ phone: z.string().trim().regex(/^\+[1-9]\d{7,14}$/, 'must be an E.164 number such as +15551234567') })
  .strict();
const disableBody = z
  .object({ code: anyCode.optional(), method: z.enum(['totp', 'sms', 'backup_code']).optional() })
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
  backup_codes: z.array(z.string()).optional().describe('Only when this is the first factor: shown once'),
});
const totpEnrollResponse = z.object({
  secret: z.string().describe('Base32, for manual entry'),
  otpauth_uri: z.string(),
  qr_code: z.string().describe('PNG data URL of the otpauth URI'),
});
const backupCodesResponse = z.object({ backup_codes: z.array(z.string()) });

const errors = (extra: Record<number, string>) =>
  Object.fromEntries(Object.entries({ 400: 'Invalid input', 429: 'Rate limited', ...extra }).map(([k, v]) => [k, { description: v }]));

/** Per-account limits, counted after the account is known (the IP limits run first). */
const ACCOUNT_RULES = {
  secondFactor: { name: 'mfa:account', points: 10, durationSeconds: 600 },
  manage: { name: 'mfa-manage:account', points: 20, durationSeconds: 600 },
  sms: { name: 'sms:account', points: 3, durationSeconds: 60 },
} satisfies Record<string, LimitRule>;

export function mfaRoutes(deps: { mfa: MfaService; sessions: SessionService; limits: RateLimitGuard; cookie: CookieSettings }): Router {
  const router = Router();
  const { mfa, limits } = deps;
  const signedIn = (req: Request) => deps.sessions.getActiveOrThrow(readCredential(req.headers)?.token);
  const signInOptions = { ttlSeconds: deps.sessions.ttlSeconds, cookie: deps.cookie };

  /** Counts the request against the account behind an MFA token, when the token is live. */
  async function limitChallengeAccount(token: string, sendsSms: boolean) {
    const userId = await mfa.findChallengeUser(token);
    if (!userId) return;
    await limits.consume(ACCOUNT_RULES.secondFactor, userId);
    if (sendsSms) await limits.consume(ACCOUNT_RULES.sms, userId);
  }

  documentRoute({
    method: 'post',
    path: '/auth/mfa/verify',
    summary: 'Finish an MFA sign-in with a TOTP or SMS code; with method "sms" and no code, text the code first',
    tags: ['mfa'],
    auth: 'none',
    body: verifyBody,
    responses: {
      200: { description: 'Signed in (session cookie set)', body: sessionIssuedBody },
      202: { description: 'SMS code sent', body: smsSentResponse },
      ...errors({ 401: 'Wrong code (`mfa:invalid_code`) or dead challenge (`mfa:challenge_invalid`)' }),
    },
  });
  router.post('/auth/mfa/verify', limits.limit('secondFactor'), async function verifySecondFactor(req, res) {
    const body = validate(verifyBody, req.body);
    await limitChallengeAccount(body.mfa_token, body.code === undefined);
    if (body.code === undefined) {
      const sent = await mfa.sendSignInSmsCode(body.mfa_token, requestMeta(req));
      res.setHeader('Cache-Control', 'no-store');
      res.status(202).json({ sms_sent: true, phone: sent.phone, expires_in: sent.expiresIn });
      return;
    }
    const result = await mfa.verifySignIn({ mfaToken: body.mfa_token, code: body.code, method: body.method }, requestMeta(req));
    sendSignInResult(res, result, signInOptions);
  });

  documentRoute({
    method: 'post',
    path: '/auth/mfa/backup',
    summary: 'Finish an MFA sign-in with a single-use backup code',
    tags: ['mfa'],
    auth: 'none',
    body: backupBody,
    responses: {
      200: { description: 'Signed in (session cookie set); the code is used up', body: sessionIssuedBody },
      ...errors({ 401: 'Wrong code (`mfa:invalid_code`) or dead challenge (`mfa:challenge_invalid`)' }),
    },
  });
  router.post('/auth/mfa/backup', limits.limit('secondFactor'), async function verifyBackupCode(req, res) {
    const body = validate(backupBody, req.body);
    await limitChallengeAccount(body.mfa_token, false);
    const result = await mfa.verifySignInBackupCode({ mfaToken: body.mfa_token, code: body.code }, requestMeta(req));
    sendSignInResult(res, result, signInOptions);
  });

  documentRoute({
    method: 'get',
    path: '/auth/mfa/status',
    summary: 'Which second factors the signed-in account has',
    tags: ['mfa'],
    auth: 'session',
    responses: { 200: { description: 'MFA status', body: statusResponse }, 401: { description: 'No session' }, 429: { description: 'Rate limited' } },
  });
  router.get('/auth/mfa/status', limits.limit('session'), async function showMfaStatus(req, res) {
    const session = await signedIn(req);
    res.setHeader('Cache-Control', 'no-store');
    res.json(statusBody(await mfa.status(session.userId)));
  });

  documentRoute({
    method: 'post',
    path: '/auth/mfa/totp/enroll',
    summary: 'Start TOTP enrollment: a new secret, its otpauth:// URI and a QR code',
    tags: ['mfa'],
    auth: 'session',
    responses: {
      200: { description: 'Pending until confirmed', body: totpEnrollResponse },
      401: { description: 'No session' },
      409: { description: 'TOTP already enabled (`mfa:already_enrolled`)' },
      429: { description: 'Rate limited' },
    },
  });
  router.post('/auth/mfa/totp/enroll', limits.limit('sensitive'), async function enrollTotp(req, res) {
    const session = await signedIn(req);
    await limits.consume(ACCOUNT_RULES.manage, session.userId);
    const enrollment = await mfa.startTotpEnrollment({ id: session.userId, email: session.email }, requestMeta(req));
    res.setHeader('Cache-Control', 'no-store');
    res.json({ secret: enrollment.secret, otpauth_uri: enrollment.uri, qr_code: enrollment.qrCode });
  });

  /** Confirming a pending TOTP or SMS factor: a code from it turns it on (and, the first time, hands out backup codes). */
  const confirmEnrollment = (method: 'totp' | 'sms', confirm: typeof mfa.confirmTotpEnrollment) =>
    async function confirmEnrollmentCode(req: Request, res: Response) {
      const session = await signedIn(req);
      const { code } = validate(confirmBody, req.body);
      await limits.consume(ACCOUNT_RULES.manage, session.userId);
      const { backupCodes } = await confirm(session.userId, code, requestMeta(req));
      res.setHeader('Cache-Control', 'no-store');
      res.json({ enabled: true, method, ...(backupCodes ? { backup_codes: backupCodes } : {}) });
    };

  documentRoute({
    method: 'post',
    path: '/auth/mfa/totp/confirm',
    summary: 'Confirm TOTP enrollment with a code from the authenticator app',
    tags: ['mfa'],
    auth: 'session',
    body: confirmBody,
    responses: {
      200: { description: 'TOTP enabled', body: enrolledResponse },
      ...errors({ 401: 'No session', 403: 'Wrong code or too many attempts', 409: 'No enrollment in progress, or already enabled' }),
    },
  });
  router.post('/auth/mfa/totp/confirm', limits.limit('sensitive'), confirmEnrollment('totp', mfa.confirmTotpEnrollment));

  documentRoute({
    method: 'post',
    path: '/auth/mfa/sms/enroll',
    summary: 'Start SMS enrollment: text a 6-digit code to the phone (E.164)',
    tags: ['mfa'],
    auth: 'session',
    body: smsEnrollBody,
    responses: {
      200: { description: 'Code sent; pending until confirmed', body: smsSentResponse },
      ...errors({ 401: 'No session', 409: 'SMS already enabled (`mfa:already_enrolled`)', 503: 'SMS provider failed' }),
    },
  });
  router.post('/auth/mfa/sms/enroll', limits.limit('sensitive'), async function enrollSms(req, res) {
    const session = await signedIn(req);
    const { phone } = validate(smsEnrollBody, req.body);
    await limits.consume(ACCOUNT_RULES.manage, session.userId);
    await limits.consume(ACCOUNT_RULES.sms, session.userId);
    const sent = await mfa.startSmsEnrollment(session.userId, phone, requestMeta(req));
    res.setHeader('Cache-Control', 'no-store');
    res.json({ sms_sent: true, phone: sent.phone, expires_in: sent.expiresIn });
  });

  documentRoute({
    method: 'post',
    path: '/auth/mfa/sms/confirm',
    summary: 'Confirm SMS enrollment with the texted code',
    tags: ['mfa'],
    auth: 'session',
    body: confirmBody,
    responses: {
      200: { description: 'SMS enabled', body: enrolledResponse },
      ...errors({ 401: 'No session', 403: 'Wrong or expired code, or too many attempts', 409: 'No enrollment in progress, or already enabled' }),
    },
  });
  router.post('/auth/mfa/sms/confirm', limits.limit('sensitive'), confirmEnrollment('sms', mfa.confirmSmsEnrollment));

  documentRoute({
    method: 'post',
    path: '/auth/mfa/disable',
    summary: 'Turn MFA off (every factor and backup code); needs a current TOTP/SMS code or a backup code',
    tags: ['mfa'],
    auth: 'session',
    body: disableBody,
    responses: {
      200: { description: 'MFA disabled', body: z.object({ enabled: z.literal(false) }) },
      202: { description: 'SMS code sent (method "sms" without code)', body: smsSentResponse },
      ...errors({ 401: 'No session', 403: 'Wrong code (`mfa:invalid_code`)', 409: 'MFA not enabled' }),
    },
  });
  router.post('/auth/mfa/disable', limits.limit('sensitive'), async function disableMfa(req, res) {
    const session = await signedIn(req);
    const body = validate(disableBody, req.body);
    await limits.consume(ACCOUNT_RULES.manage, session.userId);
    res.setHeader('Cache-Control', 'no-store');
    if (body.code === undefined) {
      await limits.consume(ACCOUNT_RULES.sms, session.userId);
      const sent = await mfa.sendStepUpSmsCode(session.userId, requestMeta(req));
      res.status(202).json({ sms_sent: true, phone: sent.phone, expires_in: sent.expiresIn });
      return;
    }
    await mfa.disable(session.userId, { code: body.code, method: body.method }, requestMeta(req));
    res.json({ enabled: false });
  });

  documentRoute({
    method: 'post',
    path: '/auth/mfa/backup/regenerate',
    summary: 'Replace all backup codes with ten new ones; needs a current TOTP or SMS code',
    tags: ['mfa'],
    auth: 'session',
    body: regenerateBody,
    responses: {
      200: { description: 'The new codes, shown once', body: backupCodesResponse },
      202: { description: 'SMS code sent (method "sms" without code)', body: smsSentResponse },
      ...errors({ 401: 'No session', 403: 'Wrong code (`mfa:invalid_code`)', 409: 'MFA not enabled' }),
    },
  });
  router.post('/auth/mfa/backup/regenerate', limits.limit('sensitive'), async function regenerateBackupCodes(req, res) {
    const session = await signedIn(req);
    const body = validate(regenerateBody, req.body);
    await limits.consume(ACCOUNT_RULES.manage, session.userId);
    res.setHeader('Cache-Control', 'no-store');
    if (body.code === undefined) {
      await limits.consume(ACCOUNT_RULES.sms, session.userId);
      const sent = await mfa.sendStepUpSmsCode(session.userId, requestMeta(req));
      res.status(202).json({ sms_sent: true, phone: sent.phone, expires_in: sent.expiresIn });
      return;
    }
    const codes = await mfa.regenerateBackupCodes(session.userId, { code: body.code, method: body.method }, requestMeta(req));
    res.json({ backup_codes: codes });
  });

  return router;
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
