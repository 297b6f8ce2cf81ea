import { AppError, ServiceUnavailableError } from '@malet/errors';
import type { Logger } from '@malet/logging';
import type { AccountRepository } from '../data/account.repository';
import type { IdentityRepository } from '../data/identity.repository';
import type { TokenRepository } from '../data/token.repository';
import type { Mailer, OutgoingMail } from '../infra/mailer';
import type { AuditLog } from './audit';
import type { Clock } from './clock';
import { hashAccountCode, issueAccountToken, looksLikeAccountToken } from './account-tokens';
import { hashToken, mintSixDigitCode, sameHexDigest } from './tokens';

/** Error codes of the account operations (verification, email change), declared once. */
export const accountErrors = {
  invalidToken: () => new AppError(400, 'auth:invalid_token', 'The link or token is invalid, expired or already used'),
  invalidCode: () => new AppError(400, 'auth:invalid_code', 'The code is incorrect, expired or out of attempts'),
  emailTaken: () => new AppError(409, 'auth:email_taken', 'That email address belongs to another account'),
  sameEmail: () => new AppError(400, 'auth:email_unchanged', 'That is already your email address', { fields: ['new_email'] }),
  mailUnavailable: () => new ServiceUnavailableError('Could not send the email, try again later', 'mail:unavailable'),
};

export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

const VERIFY_TTL_SECONDS = 24 * 3600;
const EMAIL_CHANGE_TTL_SECONDS = 3600;
const MAX_CODE_ATTEMPTS = 5;

/**
 * Email verification (by link and by 6-digit code) and email change (confirmed on the new
 * address, the old one notified). Tokens are stored as SHA-256, codes as HMACs, and each is
 * consumed by a single conditional update.
 */
export function createAccountService(deps: {
  identities: Pick<IdentityRepository, 'findById' | 'findByEmail'>;
  accounts: AccountRepository;
  tokens: TokenRepository;
  mailer: Mailer;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  publicUrl: string;
  hmacSecret: string;
}) {
  const link = (path: string, token: string) => `${deps.publicUrl}${path}?token=${encodeURIComponent(token)}`;

  async function send(mail: OutgoingMail): Promise<void> {
    try {
      await deps.mailer.send(mail);
    } catch (error) {
      deps.logger.error({ err: error, subject: mail.subject }, 'could not send account email');
      throw accountErrors.mailUnavailable();
    }
  }

  /**
   * Sends without waiting, for answers that must not depend on whether a mail went out (no
   * enumeration by timing); failures are logged.
   */
  function sendInBackground(mail: OutgoingMail): void {
    deps.mailer.send(mail).catch((error: unknown) => deps.logger.error({ err: error, subject: mail.subject }, 'could not send account email'));
  }

  async function issueVerification(user: { id: string; email: string }): Promise<OutgoingMail> {
    const code = mintSixDigitCode();
    const token = await issueAccountToken(deps, {
      purpose: 'verify_email',
      userId: user.id,
      email: user.email,
      ttlSeconds: VERIFY_TTL_SECONDS,
      codeHash: hashAccountCode(deps.hmacSecret, user.id, 'verify_email', code),
    });
    const url = link('/auth/verify-email', token);
    return {
      to: user.email,
      subject: 'Verify your Malet email address',
      text: `Confirm your email address by opening this link:\n\n${url}\n\nOr enter this code: ${code}\n\nThe link and code work for 24 hours. If you did not create a Malet account, ignore this email.`,
      html: `<p>Confirm your email address:</p><p><a href="${url}">Verify my email</a></p><p>Or enter this code: <strong>${code}</strong></p><p>The link and code work for 24 hours. If you did not create a Malet account, ignore this email.</p>`,
    };
  }

  async function markVerified(row: { userId: string; email: string | null }, meta: RequestMeta, method: string) {
    const identity = await deps.identities.findById(row.userId);
    // A token for an address the account no longer has proves nothing about the current one.
    if (!identity || !row.email || identity.email !== row.email) throw accountErrors.invalidToken();
    if (!identity.emailVerifiedAt) await deps.accounts.markEmailVerified(identity.id, identity.email, deps.clock.now());
    await deps.audit.record({ type: 'email.verified', outcome: 'success', userId: identity.id, method, ...meta });
    return { userId: identity.id, email: identity.email };
  }

  return {
    /** Issues a fresh verification link and code (older ones stop working) and mails them in the background. */
    async sendVerificationInBackground(user: { id: string; email: string }): Promise<void> {
      sendInBackground(await issueVerification(user));
    },

    sendInBackground,

    /** `POST /auth/resend-verification-email`: for the signed-in user; a no-op once verified. */
    async resendVerification(userId: string): Promise<{ alreadyVerified: boolean }> {
      const identity = await deps.identities.findById(userId);
      if (!identity) throw accountErrors.invalidToken();
      if (identity.emailVerifiedAt) return { alreadyVerified: true };
      await send(await issueVerification(identity));
      return { alreadyVerified: false };
    },

    async verifyEmailByToken(token: string, meta: RequestMeta) {
      if (!looksLikeAccountToken('verify_email', token)) throw accountErrors.invalidToken();
      const row = await deps.tokens.consume('verify_email', hashToken(token), deps.clock.now());
      if (!row) throw accountErrors.invalidToken();
      return markVerified(row, meta, 'email_link');
    },

    /**
     * By email and code: every guess spends one of five attempts atomically before it is
     * compared, so parallel guesses cannot exceed the limit. Unknown emails get the same answer.
     */
    async verifyEmailByCode(email: string, code: string, meta: RequestMeta) {
      const identity = await deps.identities.findByEmail(email);
      if (!identity) throw accountErrors.invalidCode();
      const now = deps.clock.now();
      const row = await deps.tokens.spendCodeAttempt(identity.id, 'verify_email', MAX_CODE_ATTEMPTS, now);
      if (!row?.codeHash || !sameHexDigest(row.codeHash, hashAccountCode(deps.hmacSecret, identity.id, 'verify_email', code))) {
        await deps.audit.record({ type: 'email.verified', outcome: 'failure', userId: identity.id, method: 'email_code', ...meta });
        throw accountErrors.invalidCode();
      }
      const consumed = await deps.tokens.consumeById(row.id, now);
      if (!consumed) throw accountErrors.invalidCode();
      return markVerified(consumed, meta, 'email_code');
    },

    /**
     * Starts an email change: a confirmation link to the new address, a notice to the old one.
     * Whether the new address is taken is not revealed here (confirmation fails instead), so
     * this cannot be used to probe for accounts.
     */
    async requestEmailChange(input: { userId: string; newEmail: string; meta: RequestMeta }): Promise<void> {
      const identity = await deps.identities.findById(input.userId);
      if (!identity) throw accountErrors.invalidToken();
      if (identity.email === input.newEmail) throw accountErrors.sameEmail();
      const token = await issueAccountToken(deps, {
        purpose: 'change_email',
        userId: identity.id,
        email: input.newEmail,
        ttlSeconds: EMAIL_CHANGE_TTL_SECONDS,
      });
      const url = link('/auth/confirm-email-change', token);
      await send({
        to: input.newEmail,
        subject: 'Confirm your new Malet email address',
        text: `Confirm that this address should become your Malet sign-in email by opening:\n\n${url}\n\nOr send this token to POST /auth/confirm-email-change: ${token}\n\nThe link works for 1 hour. If you did not ask for this, ignore this email.`,
        html: `<p>Confirm that this address should become your Malet sign-in email:</p><p><a href="${url}">Confirm my new email</a></p><p>The link works for 1 hour. If you did not ask for this, ignore this email.</p>`,
      });
      sendInBackground({
        to: identity.email,
        subject: 'Your Malet email address is being changed',
        text: `Someone signed in to your Malet account asked to change its email address to ${input.newEmail}. Nothing changes until the new address is confirmed. If this was not you, change your password now.`,
      });
      await deps.audit.record({
        type: 'email.change_requested',
        outcome: 'success',
        userId: identity.id,
        ...input.meta,
        details: { new_email: input.newEmail },
      });
    },

    async confirmEmailChange(token: string, meta: RequestMeta): Promise<{ userId: string; email: string }> {
      if (!looksLikeAccountToken('change_email', token)) throw accountErrors.invalidToken();
      const now = deps.clock.now();
      const row = await deps.tokens.consume('change_email', hashToken(token), now);
      if (!row?.email) throw accountErrors.invalidToken();
      const changed = await deps.accounts.changeEmail(row.userId, row.email, now);
      if (!changed) {
        await deps.audit.record({ type: 'email.changed', outcome: 'failure', userId: row.userId, ...meta, details: { reason: 'email_taken' } });
        throw accountErrors.emailTaken();
      }
      // Outstanding verification links were for the old address; they die with it.
      await deps.tokens.retireAll(row.userId, 'verify_email', now);
      sendInBackground({
        to: changed.oldEmail,
        subject: 'Your Malet email address was changed',
        text: `The email address of your Malet account was changed to ${row.email}. If this was not you, contact support immediately.`,
      });
      await deps.audit.record({
        type: 'email.changed',
        outcome: 'success',
        userId: row.userId,
        ...meta,
        details: { old_email: changed.oldEmail, new_email: row.email },
      });
      return { userId: row.userId, email: row.email };
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
