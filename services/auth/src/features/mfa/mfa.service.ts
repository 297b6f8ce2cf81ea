import { createHmac } from 'node:crypto';
import type { IdentityRepository } from '../../core/identities/identity.repository';
import type { MfaFactorRow, MfaRepository } from './mfa.repository';
import type { SmsProvider } from './sms';
import type { AuditLog } from '../../core/audit/audit-log';
import { generateBackupCodes, hashBackupCode, normalizeBackupCode } from './backup-codes';
import type { Clock } from '../../core/clock';
import type { MfaChallenge, MfaGate } from '../../core/sign-in/sign-in-gate';
import type { SecretBox } from '../../core/secret-box';
import type { SessionService } from '../../core/sessions/session.service';
import type { CompleteSignIn, SignInMeta, SignInResult } from '../../core/sign-in/complete-sign-in';
import { mfaErrors } from './mfa.errors';
import { hashToken, looksLikeToken, mintSixDigitCode, mintToken, sameHexDigest } from '../../core/tokens';
import { describeTotpEnrollment, generateTotpSecret, matchTotpStep } from './totp';

/** Five wrong answers and a challenge (or a pending enrollment's code) is dead. */
export const MFA_MAX_ATTEMPTS = 5;
const CHALLENGE_TTL_MS = 5 * 60_000;
const SMS_CODE_TTL_MS = 5 * 60_000;
/** SMS codes a single sign-in challenge may request (the first send and two resends). */
const MAX_SMS_SENDS_PER_CHALLENGE = 3;

export type SecondFactorMethod = 'totp' | 'sms' | 'backup_code';

export interface MfaStatus {
  enabled: boolean;
  methods: SecondFactorMethod[];
  totp: { enabled: boolean; pending: boolean; confirmedAt: Date | null };
  sms: { enabled: boolean; pending: boolean; phone: string | null; confirmedAt: Date | null };
  backupCodesRemaining: number;
}

/** What a step-up answer (disable, regenerate) may carry. */
export interface StepUpAnswer {
  code?: string | undefined;
  method?: SecondFactorMethod | undefined;
}

/**
 * Second factors: enrollment (TOTP, SMS), the sign-in challenge that `completeSignIn` starts
 * (the `MfaGate`), its completion with TOTP, SMS or a backup code, and the account's own
 * management (status, disable, regenerate backup codes).
 */
export function createMfaService(deps: {
  mfa: MfaRepository;
  sessions: Pick<SessionService, 'revokeWithoutSecondFactor' | 'markReauthenticated'>;
  identities: Pick<IdentityRepository, 'findById' | 'listPhone' | 'unlistPhone'>;
  completeSignIn: CompleteSignIn;
  audit: AuditLog;
  secretBox: SecretBox;
  /** Null when SMS is off (SMS_PROVIDER=none): no SMS enrolment, and SMS factors cannot be used. */
  sms: SmsProvider | null;
  /** Counts a text to `phone` against the per-number and service-wide caps; 429 past one. */
  limitText: (phone: string) => Promise<void>;
  /** Keys the HMAC of stored SMS codes. */
  codeSecret: string;
  clock: Clock;
}) {
  const { mfa, audit, clock, secretBox } = deps;

  /** Codes are bound to where they were issued, so a hash cannot be moved to another row. */
  const smsCodeHash = (scope: string, code: string) => createHmac('sha256', deps.codeSecret).update(`mfa-sms:${scope}:${code}`).digest('hex');
  const totpContext = (userId: string) => `mfa:totp:${userId}`;
  const phoneContext = (userId: string) => `mfa:sms:${userId}`;
  const smsText = (code: string) => `Your Malet verification code is ${code}. It expires in 5 minutes. Never share it.`;

  /** A confirmed factor of `type`; an SMS factor counts only while SMS can be sent. */
  const confirmed = (factors: MfaFactorRow[], type: 'totp' | 'sms') =>
    type === 'sms' && !deps.sms ? null : (factors.find((f) => f.type === type && f.confirmedAt) ?? null);

  /**
   * Reserves a text to `phone` within the caps on texts (or refuses when SMS is off), before any
   * code is stored: a refused text leaves nothing behind. Returns the sender of that one text.
   */
  async function reserveText(phone: string): Promise<(code: string) => Promise<void>> {
    const sms = deps.sms;
    if (!sms) throw mfaErrors.methodUnavailable('sms');
    await deps.limitText(phone);
    return (code) => sms.send(phone, smsText(code));
  }

  /** The TOTP secret of a factor; a value sealed under a retired key is re-sealed on the way. */
  async function openTotpSecret(factor: MfaFactorRow): Promise<string> {
    const secret = secretBox.open(factor.secretCiphertext!, totpContext(factor.userId));
    if (secretBox.isStale(factor.secretCiphertext!)) {
      await mfa.resealFactor(factor.id, { secretCiphertext: secretBox.seal(secret, totpContext(factor.userId)) });
    }
    return secret;
  }

  async function openPhone(factor: MfaFactorRow): Promise<string> {
    const phone = secretBox.open(factor.phoneCiphertext!, phoneContext(factor.userId));
    if (secretBox.isStale(factor.phoneCiphertext!)) {
      await mfa.resealFactor(factor.id, { phoneCiphertext: secretBox.seal(phone, phoneContext(factor.userId)) });
    }
    return phone;
  }

  async function methodsOf(userId: string, factors: MfaFactorRow[]): Promise<SecondFactorMethod[]> {
    const methods: SecondFactorMethod[] = [];
    if (confirmed(factors, 'totp')) methods.push('totp');
    if (confirmed(factors, 'sms')) methods.push('sms');
    if (methods.length && (await mfa.countUnusedBackupCodes(userId)) > 0) methods.push('backup_code');
    return methods;
  }

  async function issueBackupCodes(userId: string): Promise<string[]> {
    const codes = generateBackupCodes();
    await mfa.replaceBackupCodes(userId, codes.map((code) => hashBackupCode(normalizeBackupCode(code)!)), clock.now());
    return codes;
  }

  /** After the first factor is confirmed, the account gets its backup codes (shown once). */
  async function backupCodesAfterEnrollment(userId: string, factors: MfaFactorRow[], newFactorId: string): Promise<string[] | null> {
    const hadFactorBefore = factors.some((f) => f.confirmedAt && f.id !== newFactorId);
    return hadFactorBefore ? null : issueBackupCodes(userId);
  }

  // ---- the gate ------------------------------------------------------------------------------

  const gate: MfaGate = {
    async beginIfRequired(input): Promise<MfaChallenge | null> {
      const factors = await mfa.listFactors(input.userId);
      const methods = await methodsOf(input.userId, factors);
      if (!methods.length) return null;
      const mfaToken = mintToken('mfa');
      const now = clock.now();
      // Ended challenges are kept a day (for investigations), then cleared as new ones start.
      await mfa.deleteEndedChallenges(input.userId, new Date(now.getTime() - 24 * 60 * 60_000));
      await mfa.insertChallenge({
        tokenHash: hashToken(mfaToken),
        userId: input.userId,
        firstFactor: input.firstFactor,
        ...(input.sso ? { sso: input.sso } : {}),
        expiresAt: new Date(now.getTime() + CHALLENGE_TTL_MS),
        ip: input.ip,
        userAgent: input.userAgent,
        now,
      });
      return { mfaToken, methods };
    },

    abandonPending: (userId) => mfa.endLiveChallenges(userId, clock.now()),
  };

  // ---- sign-in completion ----------------------------------------------------------------------

  /** The user a live challenge belongs to (for per-account rate limits); null otherwise. */
  async function findChallengeUser(mfaToken: string): Promise<string | null> {
    if (!looksLikeToken('mfa', mfaToken)) return null;
    const challenge = await mfa.findLiveChallenge(hashToken(mfaToken), clock.now(), MFA_MAX_ATTEMPTS);
    return challenge?.userId ?? null;
  }

  /** A challenge answered: the sign-in completes through the one completion path, MFA satisfied. */
  async function finishSignIn(
    challenge: { userId: string; firstFactor: string; ssoOrganizationId: string | null; ssoConnectionId: string | null },
    method: SecondFactorMethod,
    meta: SignInMeta,
  ): Promise<Extract<SignInResult, { kind: 'session' }>> {
    const identity = await deps.identities.findById(challenge.userId);
    if (!identity) throw mfaErrors.challengeInvalid();
    const { ssoOrganizationId: organizationId, ssoConnectionId: connectionId } = challenge;
    const result = await deps.completeSignIn({
      user: { id: identity.id, email: identity.email },
      method: challenge.firstFactor,
      meta,
      secondFactor: method,
      ...(organizationId && connectionId ? { sso: { organizationId, connectionId } } : {}),
    });
    if (result.kind !== 'session') throw mfaErrors.challengeInvalid();
    return result;
  }

  async function recordWrongAnswer(challenge: { userId: string; attempts: number; firstFactor: string }, method: string, meta: SignInMeta) {
    const left = MFA_MAX_ATTEMPTS - challenge.attempts;
    await audit.record({
      type: left > 0 ? 'mfa.verify' : 'mfa.challenge_locked',
      outcome: 'failure',
      userId: challenge.userId,
      method,
      ...meta,
      details: { first_factor: challenge.firstFactor, attempts: challenge.attempts },
    });
    return mfaErrors.invalidLoginCode(left);
  }

  /** Sends (or resends) the SMS code of a sign-in challenge to the enrolled phone. */
  async function sendSignInSmsCode(mfaToken: string, meta: SignInMeta): Promise<{ phone: string; expiresIn: number }> {
    if (!looksLikeToken('mfa', mfaToken)) throw mfaErrors.challengeInvalid();
    const now = clock.now();
    const challenge = await mfa.findLiveChallenge(hashToken(mfaToken), now, MFA_MAX_ATTEMPTS);
    if (!challenge) throw mfaErrors.challengeInvalid();
    const factor = await mfa.findFactor(challenge.userId, 'sms');
    if (!factor?.confirmedAt || !factor.phoneCiphertext) throw mfaErrors.methodUnavailable('sms');
    const text = await reserveText(await openPhone(factor));
    const code = mintSixDigitCode();
    const stored = await mfa.setChallengeSmsCode({
      id: challenge.id,
      codeHash: smsCodeHash(`challenge:${challenge.id}`, code),
      expiresAt: new Date(now.getTime() + SMS_CODE_TTL_MS),
      now,
      maxSends: MAX_SMS_SENDS_PER_CHALLENGE,
    });
    if (!stored) throw mfaErrors.smsResendLimit();
    await text(code);
    await audit.record({ type: 'mfa.sms_sent', outcome: 'success', userId: challenge.userId, method: 'sms', ...meta, details: { purpose: 'signin' } });
    return { phone: factor.phoneHint ?? '', expiresIn: SMS_CODE_TTL_MS / 1000 };
  }

  /**
   * Completes a sign-in with a TOTP or SMS code. The attempt is reserved before the code is
   * checked, so the five-guess limit holds under any concurrency. Without `method`, a TOTP
   * factor is tried first, then an outstanding SMS code; both count as one attempt.
   */
  async function verifySignIn(input: { mfaToken: string; code: string; method?: 'totp' | 'sms' | undefined }, meta: SignInMeta) {
    if (!looksLikeToken('mfa', input.mfaToken)) throw mfaErrors.challengeInvalid();
    const now = clock.now();
    const challenge = await mfa.reserveChallengeAttempt(hashToken(input.mfaToken), now, MFA_MAX_ATTEMPTS);
    if (!challenge) throw mfaErrors.challengeInvalid();
    const factors = await mfa.listFactors(challenge.userId);
    const totp = confirmed(factors, 'totp');
    const sms = confirmed(factors, 'sms');
    if (input.method === 'totp' && !totp) throw mfaErrors.methodUnavailable('totp');
    if (input.method === 'sms' && !sms) throw mfaErrors.methodUnavailable('sms');

    if (totp?.secretCiphertext && input.method !== 'sms') {
      const step = matchTotpStep(await openTotpSecret(totp), input.code, now);
      if (step !== null) {
        const outcome = await mfa.consumeChallengeWithTotp({ challengeId: challenge.id, factorId: totp.id, step, now });
        if (outcome === 'challenge_gone') throw mfaErrors.challengeInvalid();
        if (outcome === 'ok') return finishSignIn(challenge, 'totp', meta);
        // A replayed code is a wrong answer: it already counted against the attempts.
      }
    }
    if (sms && input.method !== 'totp' && challenge.smsCodeExpiresAt && challenge.smsCodeExpiresAt > now) {
      if (/^\d{6}$/.test(input.code) && challenge.smsCodeHash !== null && sameHexDigest(challenge.smsCodeHash, smsCodeHash(`challenge:${challenge.id}`, input.code))) {
        if (!(await mfa.consumeChallenge(challenge.id, now))) throw mfaErrors.challengeInvalid();
        return finishSignIn(challenge, 'sms', meta);
      }
    }
    throw await recordWrongAnswer(challenge, input.method ?? (totp ? 'totp' : 'sms'), meta);
  }

  /** Completes a sign-in with one of the account's backup codes (each works once). */
  async function verifySignInBackupCode(input: { mfaToken: string; code: string }, meta: SignInMeta) {
    if (!looksLikeToken('mfa', input.mfaToken)) throw mfaErrors.challengeInvalid();
    const now = clock.now();
    const challenge = await mfa.reserveChallengeAttempt(hashToken(input.mfaToken), now, MFA_MAX_ATTEMPTS);
    if (!challenge) throw mfaErrors.challengeInvalid();
    const normalized = normalizeBackupCode(input.code);
    if (normalized) {
      const outcome = await mfa.consumeChallengeWithBackupCode({
        challengeId: challenge.id,
        userId: challenge.userId,
        codeHash: hashBackupCode(normalized),
        now,
      });
      if (outcome === 'challenge_gone') throw mfaErrors.challengeInvalid();
      if (outcome === 'ok') {
        const result = await finishSignIn(challenge, 'backup_code', meta);
        const remaining = await mfa.countUnusedBackupCodes(challenge.userId);
        await audit.record({ type: 'mfa.backup_code_used', outcome: 'success', userId: challenge.userId, method: 'backup_code', ...meta, details: { remaining } });
        return { ...result, backupCodesRemaining: remaining };
      }
    }
    throw await recordWrongAnswer(challenge, 'backup_code', meta);
  }

  // ---- enrollment ------------------------------------------------------------------------------

  async function status(userId: string): Promise<MfaStatus> {
    const factors = await mfa.listFactors(userId);
    const totp = factors.find((f) => f.type === 'totp') ?? null;
    const sms = factors.find((f) => f.type === 'sms') ?? null;
    const methods = await methodsOf(userId, factors);
    return {
      enabled: methods.length > 0,
      methods,
      totp: { enabled: Boolean(totp?.confirmedAt), pending: Boolean(totp && !totp.confirmedAt), confirmedAt: totp?.confirmedAt ?? null },
      sms: {
        enabled: Boolean(sms?.confirmedAt),
        pending: Boolean(sms && !sms.confirmedAt),
        phone: sms?.phoneHint ?? null,
        confirmedAt: sms?.confirmedAt ?? null,
      },
      backupCodesRemaining: methods.length ? await mfa.countUnusedBackupCodes(userId) : 0,
    };
  }

  /** A new secret for the authenticator app; it stays pending until a code from it is confirmed. */
  async function startTotpEnrollment(user: { id: string; email: string }, meta: SignInMeta) {
    const secret = generateTotpSecret();
    const factor = await mfa.upsertPendingFactor({
      userId: user.id,
      type: 'totp',
      secretCiphertext: secretBox.seal(secret, totpContext(user.id)),
      now: clock.now(),
    });
    if (!factor) throw mfaErrors.alreadyEnrolled('totp');
    const { uri, qrCode } = await describeTotpEnrollment(secret, user.email);
    await audit.record({ type: 'mfa.enrollment_started', outcome: 'success', userId: user.id, method: 'totp', ...meta });
    return { secret, uri, qrCode };
  }

  async function confirmTotpEnrollment(userId: string, code: string, meta: SignInMeta): Promise<{ backupCodes: string[] | null }> {
    const factors = await mfa.listFactors(userId);
    const factor = factors.find((f) => f.type === 'totp');
    if (factor?.confirmedAt) throw mfaErrors.alreadyEnrolled('totp');
    if (!factor?.secretCiphertext) throw mfaErrors.noPendingEnrollment('totp');
    if (!(await mfa.countFactorAttempt(factor.id, MFA_MAX_ATTEMPTS))) throw mfaErrors.tooManyAttempts();
    const now = clock.now();
    const step = matchTotpStep(secretBox.open(factor.secretCiphertext, totpContext(userId)), code, now);
    if (step === null || !(await mfa.confirmTotpFactor(factor.id, step, now))) {
      await audit.record({ type: 'mfa.enrollment', outcome: 'failure', userId, method: 'totp', ...meta });
      throw mfaErrors.codeRejected();
    }
    await audit.record({ type: 'mfa.enrolled', outcome: 'success', userId, method: 'totp', ...meta });
    return { backupCodes: await backupCodesAfterEnrollment(userId, factors, factor.id) };
  }

  /** Texts a code to `phone` (E.164); the factor is pending until the code comes back. */
  async function startSmsEnrollment(userId: string, phone: string, meta: SignInMeta) {
    const text = await reserveText(phone);
    const code = mintSixDigitCode();
    const now = clock.now();
    const factor = await mfa.upsertPendingFactor({
      userId,
      type: 'sms',
      phoneCiphertext: secretBox.seal(phone, phoneContext(userId)),
      phoneHint: maskPhone(phone),
      now,
    });
    if (!factor) throw mfaErrors.alreadyEnrolled('sms');
    await mfa.setFactorCode(factor.id, smsCodeHash(`factor:${factor.id}`, code), new Date(now.getTime() + SMS_CODE_TTL_MS));
    await text(code);
    await audit.record({ type: 'mfa.enrollment_started', outcome: 'success', userId, method: 'sms', ...meta });
    return { phone: factor.phoneHint ?? maskPhone(phone), expiresIn: SMS_CODE_TTL_MS / 1000 };
  }

  /**
   * Confirms SMS enrolment with the texted code. With `listPhone` (the holder's explicit choice,
   * never implied by the factor), the number just proven is also listed on the account for
   * `GET /auth/phone/check`.
   */
  async function confirmSmsEnrollment(
    userId: string,
    code: string,
    meta: SignInMeta,
    options: { listPhone?: boolean } = {},
  ): Promise<{ backupCodes: string[] | null; phoneListed: boolean }> {
    const factors = await mfa.listFactors(userId);
    const factor = factors.find((f) => f.type === 'sms');
    if (factor?.confirmedAt) throw mfaErrors.alreadyEnrolled('sms');
    if (!factor?.codeHash) throw mfaErrors.noPendingEnrollment('sms');
    if (!(await mfa.countFactorAttempt(factor.id, MFA_MAX_ATTEMPTS))) throw mfaErrors.tooManyAttempts();
    const ok = /^\d{6}$/.test(code) && (await mfa.consumeFactorCode(factor.id, smsCodeHash(`factor:${factor.id}`, code), clock.now()));
    if (!ok) {
      await audit.record({ type: 'mfa.enrollment', outcome: 'failure', userId, method: 'sms', ...meta });
      throw mfaErrors.codeRejected();
    }
    await audit.record({ type: 'mfa.enrolled', outcome: 'success', userId, method: 'sms', ...meta });
    if (options.listPhone && factor.phoneCiphertext) {
      await deps.identities.listPhone(userId, await openPhone(factor), clock.now());
      await audit.record({ type: 'account.phone_listed', outcome: 'success', userId, method: 'sms', ...meta });
    }
    return { backupCodes: await backupCodesAfterEnrollment(userId, factors, factor.id), phoneListed: Boolean(options.listPhone && factor.phoneCiphertext) };
  }

  // ---- step-up: changes that need a current code -------------------------------------------------

  /** Texts a step-up code to the enrolled phone (before `disable` or `regenerate` with SMS). */
  async function sendStepUpSmsCode(userId: string, meta: SignInMeta) {
    const factor = await mfa.findFactor(userId, 'sms');
    if (!factor?.confirmedAt || !factor.phoneCiphertext) throw mfaErrors.methodUnavailable('sms');
    const text = await reserveText(await openPhone(factor));
    const code = mintSixDigitCode();
    await mfa.setFactorCode(factor.id, smsCodeHash(`factor:${factor.id}`, code), new Date(clock.now().getTime() + SMS_CODE_TTL_MS));
    await text(code);
    await audit.record({ type: 'mfa.sms_sent', outcome: 'success', userId, method: 'sms', ...meta, details: { purpose: 'step_up' } });
    return { phone: factor.phoneHint ?? '', expiresIn: SMS_CODE_TTL_MS / 1000 };
  }

  /**
   * Checks a current second factor: a TOTP code (replay-protected), the outstanding SMS code
   * (at most five guesses), or, where allowed, a backup code (used up). Returns the method.
   */
  async function checkStepUp(userId: string, answer: StepUpAnswer & { code: string }, allowed: SecondFactorMethod[]): Promise<SecondFactorMethod> {
    const factors = await mfa.listFactors(userId);
    const totp = confirmed(factors, 'totp');
    const sms = confirmed(factors, 'sms');
    if (!totp && !sms) throw mfaErrors.notEnabled();
    const now = clock.now();
    const method: SecondFactorMethod =
      answer.method ?? (normalizeBackupCode(answer.code) && !/^\d{6}$/.test(answer.code) ? 'backup_code' : totp ? 'totp' : 'sms');
    if (!allowed.includes(method)) throw mfaErrors.methodUnavailable(method);
    if (method === 'totp') {
      if (!totp?.secretCiphertext) throw mfaErrors.methodUnavailable('totp');
      // Counted before compared, like a sign-in challenge's answers: parallel guesses cannot get
      // past five, even with rate limits off. A passing code (or sign-in) starts the count again.
      if (!(await mfa.countFactorAttempt(totp.id, MFA_MAX_ATTEMPTS))) throw mfaErrors.stepUpLocked();
      const step = matchTotpStep(await openTotpSecret(totp), answer.code, now);
      if (step !== null && (await mfa.advanceTotpStep(totp.id, step, now))) return method;
    } else if (method === 'sms') {
      if (!sms) throw mfaErrors.methodUnavailable('sms');
      if (!sms.codeHash || !(await mfa.countFactorAttempt(sms.id, MFA_MAX_ATTEMPTS))) throw mfaErrors.codeRejected();
      if (/^\d{6}$/.test(answer.code) && (await mfa.consumeFactorCode(sms.id, smsCodeHash(`factor:${sms.id}`, answer.code), now))) {
        return method;
      }
    } else {
      const normalized = normalizeBackupCode(answer.code);
      if (normalized && (await mfa.consumeBackupCode(userId, hashBackupCode(normalized), now))) return method;
    }
    throw mfaErrors.codeRejected();
  }

  /**
   * Turns MFA off: every factor and backup code is deleted. Needs a current TOTP or SMS code or
   * an unused backup code (for someone who lost the device).
   */
  async function disable(userId: string, answer: StepUpAnswer & { code: string }, meta: SignInMeta): Promise<void> {
    let method: SecondFactorMethod;
    try {
      method = await checkStepUp(userId, answer, ['totp', 'sms', 'backup_code']);
    } catch (error) {
      await audit.record({ type: 'mfa.disabled', outcome: 'failure', userId, method: answer.method ?? null, ...meta });
      throw error;
    }
    await mfa.deleteAllForUser(userId);
    // A listed number was proven by the SMS factor: it goes with it.
    await deps.identities.unlistPhone(userId, clock.now());
    await audit.record({ type: 'mfa.disabled', outcome: 'success', userId, method, ...meta });
  }

  /**
   * New backup codes replace all old ones. Needs a current TOTP or SMS code: a backup code
   * cannot mint more backup codes.
   */
  async function regenerateBackupCodes(userId: string, answer: StepUpAnswer & { code: string }, meta: SignInMeta): Promise<string[]> {
    let method: SecondFactorMethod;
    try {
      method = await checkStepUp(userId, answer, ['totp', 'sms']);
    } catch (error) {
      await audit.record({ type: 'mfa.backup_codes_regenerated', outcome: 'failure', userId, method: answer.method ?? null, ...meta });
      throw error;
    }
    const codes = await issueBackupCodes(userId);
    await audit.record({ type: 'mfa.backup_codes_regenerated', outcome: 'success', userId, method, ...meta });
    return codes;
  }

  /**
   * A second factor was just enrolled (decided in docs/architecture.md, section 4): the sessions
   * that never passed one end with their refresh tokens, since whoever holds them would
   * otherwise keep an account that now asks everyone else for the second factor. The session
   * that enrolled stays; sessions that passed a second factor (adding another type) stay too.
   */
  async function endSessionsWithoutSecondFactor(userId: string, enrollingSessionId: string, meta: SignInMeta): Promise<number> {
    const ended = await deps.sessions.revokeWithoutSecondFactor(userId, enrollingSessionId);
    if (ended > 0) await audit.record({ type: 'session.revoked_others', outcome: 'success', userId, ...meta, details: { reason: 'second_factor_enrolled', revoked: ended } });
    return ended;
  }

  /**
   * Step-up in a signed-in session: a current TOTP or SMS code proves the holder again, so the
   * session may make `recent`-access changes (enrol a factor, change the email or password).
   */
  async function stepUp(session: { id: string; userId: string }, answer: StepUpAnswer & { code: string }, meta: SignInMeta): Promise<SecondFactorMethod> {
    let method: SecondFactorMethod;
    try {
      method = await checkStepUp(session.userId, answer, ['totp', 'sms']);
    } catch (error) {
      await audit.record({ type: 'session.reauthenticated', outcome: 'failure', userId: session.userId, method: answer.method ?? null, ...meta });
      throw error;
    }
    await deps.sessions.markReauthenticated(session.id);
    await audit.record({ type: 'session.reauthenticated', outcome: 'success', userId: session.userId, method, ...meta });
    return method;
  }

  /**
   * The mailbox owner proved the address of an account nobody had proved before: whatever second
   * factors its unproven holder enrolled go (they would hold the owner out, or let the holder
   * back in), with their backup codes and any phone number they listed on the account.
   */
  async function removeUnprovenFactors(userId: string): Promise<{ mfaFactorsRemoved: number }> {
    const removed = await mfa.deleteAllForUser(userId);
    await deps.identities.unlistPhone(userId, clock.now());
    if (removed > 0) await audit.record({ type: 'mfa.disabled', outcome: 'success', userId, details: { reason: 'email_ownership_proven' } });
    return { mfaFactorsRemoved: removed };
  }

  return {
    gate,
    removeUnprovenFactors,
    endSessionsWithoutSecondFactor,
    stepUp,
    findChallengeUser,
    sendSignInSmsCode,
    verifySignIn,
    verifySignInBackupCode,
    status,
    startTotpEnrollment,
    confirmTotpEnrollment,
    startSmsEnrollment,
    confirmSmsEnrollment,
    sendStepUpSmsCode,
    disable,
    regenerateBackupCodes,
  };
}

export type MfaService = ReturnType<typeof createMfaService>;

/** `+4915112345678` → `+*********5678`: enough to recognise the number, not to dial it. */
export function maskPhone(phone: string): string {
  return `+${'*'.repeat(Math.max(0, phone.length - 5))}${phone.slice(-4)}`;
}
