import { createHmac, randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock';
import type { RequestMeta } from '../../core/http/request-meta';
import type { MailboxProof } from '../../core/identities/mailbox-proof';
import type { IdentityRepository } from '../../core/identities/identity.repository';
import type { AuditLog } from '../../core/audit/audit-log';
import type { ChallengeRepository } from '../../core/login-challenges/login-challenge.repository';
import type { SendSignInMail } from '../../core/mail/sign-in-mail';
import type { CompleteSignIn, SignInResult } from '../../core/sign-in/complete-sign-in';
import { mintSixDigitCode, sameHexDigest } from '../../core/tokens';
import { emailOtpErrors } from './email-otp.errors';

export const EMAIL_OTP_METHOD = 'email_otp';

/**
 * HMAC-SHA-256 of a code, keyed by the server secret and bound to its challenge: a database dump
 * alone cannot be searched for the million possible codes, and a code cannot be replayed
 * against another challenge.
 */
export function hashCode(secret: string, challengeId: string, code: string): string {
  return createHmac('sha256', secret).update(`${challengeId}:${code}`).digest('hex');
}

/**
 * Email OTP (seed 000): a 6-digit code by email, valid 10 minutes and for at most 5 guesses; a
 * new code replaces any older one. The first verified code for an unknown email creates the
 * account, so `start` does exactly the same work for known and unknown addresses (no
 * enumeration by status, body or timing).
 */
export function createEmailOtpService(deps: {
  challenges: ChallengeRepository;
  identities: Pick<IdentityRepository, 'findByEmail'>;
  mailboxProof: Pick<MailboxProof, 'verifiedIdentityFor'>;
  sendSignInMail: SendSignInMail;
  completeSignIn: CompleteSignIn;
  audit: AuditLog;
  clock: Clock;
  hmacSecret: string;
  ttlSeconds?: number;
  maxAttempts?: number;
}) {
  const ttlSeconds = deps.ttlSeconds ?? 600;
  const maxAttempts = deps.maxAttempts ?? 5;

  async function start(input: { email: string; meta: RequestMeta }): Promise<{ expiresIn: number }> {
    const now = deps.clock.now();
    const code = mintSixDigitCode();
    const id = randomUUID();
    await deps.challenges.insert(
      {
        id,
        kind: 'email_otp',
        email: input.email,
        secretHash: hashCode(deps.hmacSecret, id, code),
        maxAttempts,
        expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
        ...input.meta,
      },
      { supersede: true, now },
    );
    const minutes = Math.round(ttlSeconds / 60);
    await deps.sendSignInMail({
      email: input.email,
      meta: input.meta,
      auditType: 'otp.sent',
      method: EMAIL_OTP_METHOD,
      mail: {
        subject: 'Your Malet sign-in code',
        text: `Your Malet sign-in code is ${code}\n\nIt expires in ${minutes} minutes. If you did not ask for it, ignore this email: nobody can sign in without the code.\n`,
        html: `<p>Your Malet sign-in code is</p><p style="font-size:24px;font-weight:bold;letter-spacing:4px">${code}</p><p>It expires in ${minutes} minutes. If you did not ask for it, ignore this email: nobody can sign in without the code.</p>`,
      },
    });
    return { expiresIn: ttlSeconds };
  }

  async function finish(input: { email: string; code: string; meta: RequestMeta }): Promise<SignInResult> {
    const now = deps.clock.now();
    const fail = async (reason: string, details: Record<string, unknown> = {}) =>
      deps.audit.record({
        type: 'signin',
        outcome: 'failure',
        userId: (await deps.identities.findByEmail(input.email))?.id ?? null,
        method: EMAIL_OTP_METHOD,
        ...input.meta,
        details: { email: input.email, reason, ...details },
      });

    // Counted first, compared second: a guess that was not counted never reaches the comparison.
    const attempt = await deps.challenges.countAttemptOnLatest('email_otp', input.email, now);
    if (!attempt) {
      await fail('no_live_code');
      throw emailOtpErrors.codeExpired();
    }
    if (!sameHexDigest(hashCode(deps.hmacSecret, attempt.id, input.code), attempt.secretHash)) {
      const attemptsLeft = attempt.maxAttempts - attempt.attempts;
      await fail('wrong_code', { attempts_left: attemptsLeft });
      throw attemptsLeft > 0 ? emailOtpErrors.invalidCode() : emailOtpErrors.codeExpired();
    }
    if (!(await deps.challenges.consume(attempt.id, now))) {
      await fail('already_used');
      throw emailOtpErrors.codeExpired();
    }
    const identity = await deps.mailboxProof.verifiedIdentityFor(input.email);
    return deps.completeSignIn({ user: { id: identity.id, email: identity.email }, method: EMAIL_OTP_METHOD, meta: input.meta });
  }

  return { start, finish, ttlSeconds, maxAttempts };
}

export type EmailOtpService = ReturnType<typeof createEmailOtpService>;
