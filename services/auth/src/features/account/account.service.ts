import type { AccountTokenRepository } from '../../core/account-tokens/account-token.repository';
import { hashAccountCode, issueAccountToken, looksLikeAccountToken } from '../../core/account-tokens/account-tokens';
import type { EmailVerification } from '../../core/account-tokens/email-verification';
import type { AuditLog } from '../../core/audit/audit-log';
import type { Clock } from '../../core/clock';
import { coreErrors } from '../../core/errors/core.errors';
import type { RequestMeta } from '../../core/http/request-meta';
import type { IdentityRepository } from '../../core/identities/identity.repository';
import type { Mailer, OutgoingMail } from '../../core/mail/mailer';
import { hashToken, sameHexDigest } from '../../core/tokens';
import { accountErrors } from './account.errors';
import type { AccountRepository } from './account.repository';

const EMAIL_CHANGE_TTL_SECONDS = 3600;
const MAX_CODE_ATTEMPTS = 5;

/**
 * Email verification (by link and by 6-digit code) and email change (confirmed on the new
 * address, the old one notified). Tokens are stored as SHA-256, codes as HMACs, and each is
 * consumed by a single conditional update.
 */
export function createAccountService(deps: {
  identities: Pick<IdentityRepository, 'findById' | 'findByEmail' | 'markAddressVerified'>;
  accounts: AccountRepository;
  tokens: AccountTokenRepository;
  emailVerification: EmailVerification;
  mailer: Mailer;
  sendMailInBackground: (mail: OutgoingMail) => void;
  audit: AuditLog;
  clock: Clock;
  publicUrl: string;
  hmacSecret: string;
}) {

  /** Sends and waits: the caller asked for this mail and is told when it could not go out. */
  async function send(mail: OutgoingMail): Promise<void> {
    try {
      await deps.mailer.send(mail);
    } catch (error) {
      throw Object.assign(coreErrors.mailUnavailable(), { cause: error });
    }
  }

  async function markVerified(row: { userId: string; email: string | null }, meta: RequestMeta, method: string) {
    const identity = await deps.identities.findById(row.userId);
    // A token for an address the account no longer has proves nothing about the current one.
    if (!identity || !row.email || identity.email !== row.email) throw coreErrors.invalidAccountToken();
    if (!identity.emailVerifiedAt) await deps.identities.markAddressVerified(identity.id, identity.email, deps.clock.now());
    await deps.audit.record({ type: 'email.verified', outcome: 'success', userId: identity.id, method, ...meta });
    return { userId: identity.id, email: identity.email };
  }

  return {
    /** `POST /auth/resend-verification-email`: for the signed-in user; a no-op once verified. */
    async resendVerification(userId: string): Promise<{ alreadyVerified: boolean }> {
      const identity = await deps.identities.findById(userId);
      if (!identity) throw coreErrors.invalidAccountToken();
      if (identity.emailVerifiedAt) return { alreadyVerified: true };
      await send(await deps.emailVerification.issueMail(identity));
      return { alreadyVerified: false };
    },

    async verifyEmailByToken(token: string, meta: RequestMeta) {
      if (!looksLikeAccountToken('verify_email', token)) throw coreErrors.invalidAccountToken();
      const row = await deps.tokens.consume('verify_email', hashToken(token), deps.clock.now());
      if (!row) throw coreErrors.invalidAccountToken();
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
      if (!identity) throw coreErrors.invalidAccountToken();
      if (identity.email === input.newEmail) throw accountErrors.sameEmail();
      const token = await issueAccountToken(deps, {
        purpose: 'change_email',
        userId: identity.id,
        email: input.newEmail,
        ttlSeconds: EMAIL_CHANGE_TTL_SECONDS,
      });
      const url = `${deps.publicUrl}/auth/confirm-email-change?token=${encodeURIComponent(token)}`;
      await send({
        to: input.newEmail,
        subject: 'Confirm your new Malet email address',
        text: `Confirm that this address should become your Malet sign-in email by opening:\n\n${url}\n\nOr send this token to POST /auth/confirm-email-change: ${token}\n\nThe link works for 1 hour. If you did not ask for this, ignore this email.`,
        html: `<p>Confirm that this address should become your Malet sign-in email:</p><p><a href="${url}">Confirm my new email</a></p><p>The link works for 1 hour. If you did not ask for this, ignore this email.</p>`,
      });
      deps.sendMailInBackground({
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
      if (!looksLikeAccountToken('change_email', token)) throw coreErrors.invalidAccountToken();
      const now = deps.clock.now();
      const row = await deps.tokens.consume('change_email', hashToken(token), now);
      if (!row?.email) throw coreErrors.invalidAccountToken();
      const changed = await deps.accounts.changeEmail(row.userId, row.email, now);
      if (!changed) {
        await deps.audit.record({ type: 'email.changed', outcome: 'failure', userId: row.userId, ...meta, details: { reason: 'email_taken' } });
        throw accountErrors.emailTaken();
      }
      // Outstanding verification links were for the old address; they die with it.
      await deps.tokens.retireAll(row.userId, 'verify_email', now);
      deps.sendMailInBackground({
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
