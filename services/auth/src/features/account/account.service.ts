import type { AccountTokenRepository, AccountTokenRow } from '../../core/account-tokens/account-token.repository';
import { hashAccountCode, isLiveAccountToken, issueAccountToken, looksLikeAccountToken } from '../../core/account-tokens/account-tokens';
import type { EmailVerification } from '../../core/account-tokens/email-verification';
import type { AuditLog } from '../../core/audit/audit-log';
import type { Clock } from '../../core/clock';
import { coreErrors } from '../../core/errors/core.errors';
import { escapeHtml } from '../../core/http/html-page';
import type { RequestMeta } from '../../core/http/request-meta';
import type { IdentityRepository } from '../../core/identities/identity.repository';
import type { MailboxProof, SignOutEverywhere } from '../../core/identities/mailbox-proof';
import type { Mailer, OutgoingMail } from '../../core/mail/mailer';
import { hashToken, sameHexDigest } from '../../core/tokens';
import { accountErrors } from './account.errors';
import type { AccountRepository } from './account.repository';

const EMAIL_CHANGE_TTL_SECONDS = 3600;
/** How long the address an email change replaced can undo it. */
export const UNDO_EMAIL_CHANGE_TTL_SECONDS = 7 * 24 * 3600;
const MAX_CODE_ATTEMPTS = 5;

/**
 * Whether the verifier knows the account's password: true when it matches, false when the
 * account has none; a wrong one is refused (403, counted by the lockout).
 */
export type KnowsPassword = (userId: string, email: string, password: string, meta: RequestMeta) => Promise<boolean>;

/**
 * Email verification (by link and by 6-digit code), email change (confirmed on the new address,
 * the old one notified with a link that undoes it) and its undo. Tokens are stored as SHA-256,
 * codes as HMACs, and each is consumed by a single conditional update.
 */
export function createAccountService(deps: {
  identities: Pick<IdentityRepository, 'findById' | 'findByEmail'>;
  accounts: AccountRepository;
  tokens: AccountTokenRepository;
  emailVerification: EmailVerification;
  mailboxProof: Pick<MailboxProof, 'proveAddress'>;
  signOutEverywhere: SignOutEverywhere;
  knowsPassword: KnowsPassword;
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

  /**
   * A verification token or code came back: the mailbox is proven. Whoever registered the
   * account stays its holder only by also knowing its password; otherwise the first proof
   * retires what they had (core/identities/mailbox-proof.ts).
   */
  async function markVerified(row: Pick<AccountTokenRow, 'userId' | 'email'>, meta: RequestMeta, method: string, holderProven: boolean) {
    // A token for an address the account no longer has proves nothing about the current one.
    if (!row.email || !(await deps.mailboxProof.proveAddress(row.userId, row.email, { holderProven }))) throw coreErrors.invalidAccountToken();
    await deps.audit.record({ type: 'email.verified', outcome: 'success', userId: row.userId, method, ...meta, details: { password_confirmed: holderProven } });
    return { userId: row.userId, email: row.email, passwordKept: holderProven };
  }

  /** With a password: true when it is the account's (a wrong one throws before anything is spent). */
  async function provesHolder(row: Pick<AccountTokenRow, 'userId' | 'email'>, password: string | undefined, meta: RequestMeta): Promise<boolean> {
    return password !== undefined && row.email !== null && deps.knowsPassword(row.userId, row.email, password, meta);
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

    /** Whether an emailed token of `purpose` can still be redeemed (the pages say so before their form). */
    isLive: (purpose: 'verify_email' | 'change_email' | 'undo_email_change', token: string) => isLiveAccountToken(deps, purpose, token),

    async verifyEmailByToken(token: string, meta: RequestMeta, password?: string) {
      if (!looksLikeAccountToken('verify_email', token)) throw coreErrors.invalidAccountToken();
      const tokenHash = hashToken(token);
      const live = await deps.tokens.findLive('verify_email', tokenHash, deps.clock.now());
      if (!live) throw coreErrors.invalidAccountToken();
      const holderProven = await provesHolder(live, password, meta);
      const row = await deps.tokens.consume('verify_email', tokenHash, deps.clock.now());
      if (!row) throw coreErrors.invalidAccountToken();
      return markVerified(row, meta, 'email_link', holderProven);
    },

    /**
     * By email and code: every guess spends one of five attempts atomically before it is
     * compared, so parallel guesses cannot exceed the limit. Unknown emails get the same answer.
     */
    async verifyEmailByCode(email: string, code: string, meta: RequestMeta, password?: string) {
      const identity = await deps.identities.findByEmail(email);
      if (!identity) throw accountErrors.invalidCode();
      const now = deps.clock.now();
      const row = await deps.tokens.spendCodeAttempt(identity.id, 'verify_email', MAX_CODE_ATTEMPTS, now);
      if (!row?.codeHash || !sameHexDigest(row.codeHash, hashAccountCode(deps.hmacSecret, identity.id, 'verify_email', code))) {
        await deps.audit.record({ type: 'email.verified', outcome: 'failure', userId: identity.id, method: 'email_code', ...meta });
        throw accountErrors.invalidCode();
      }
      const holderProven = await provesHolder(row, password, meta);
      const consumed = await deps.tokens.consumeById(row.id, now);
      if (!consumed) throw accountErrors.invalidCode();
      return markVerified(consumed, meta, 'email_code', holderProven);
    },

    /**
     * Starts an email change: a confirmation link to the new address, a notice to the old one.
     * Whether the new address is taken is not revealed here (confirmation fails instead), so
     * this cannot be used to probe for accounts.
     */
    async requestEmailChange(input: { userId: string; sessionId: string; newEmail: string; meta: RequestMeta }): Promise<void> {
      const identity = await deps.identities.findById(input.userId);
      if (!identity) throw coreErrors.invalidAccountToken();
      if (identity.email === input.newEmail) throw accountErrors.sameEmail();
      const token = await issueAccountToken(deps, {
        purpose: 'change_email',
        userId: identity.id,
        email: input.newEmail,
        sessionId: input.sessionId,
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
        text: `Someone signed in to your Malet account asked to change its email address to ${input.newEmail}. Nothing changes until the new address is confirmed; if it is, this address gets a link that undoes the change. If this was not you, reset your password now: ${deps.publicUrl}/auth/forgot-password`,
      });
      await deps.audit.record({
        type: 'email.change_requested',
        outcome: 'success',
        userId: identity.id,
        ...input.meta,
        details: { new_email: input.newEmail },
      });
    },

    /**
     * Moves the account to the new address. Every other session ends (the one that asked for the
     * change stays), and the old address gets a link that undoes the change for a week.
     */
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
      const revoked = await deps.signOutEverywhere(row.userId, 'email_changed', row.sessionId ?? undefined);
      const undo = await issueAccountToken(deps, { purpose: 'undo_email_change', userId: row.userId, email: changed.oldEmail, ttlSeconds: UNDO_EMAIL_CHANGE_TTL_SECONDS });
      const undoUrl = `${deps.publicUrl}/auth/undo-email-change?token=${encodeURIComponent(undo)}`;
      deps.sendMailInBackground({
        to: changed.oldEmail,
        subject: 'Your Malet email address was changed',
        text: `The email address of your Malet account was changed to ${row.email}, and its other sessions were signed out.\n\nIf this was not you, undo the change (it moves the account back to this address and signs everyone out):\n\n${undoUrl}\n\nThe link works for 7 days.`,
        html: `<p>The email address of your Malet account was changed to ${escapeHtml(row.email)}, and its other sessions were signed out.</p><p>If this was not you, <a href="${undoUrl}">undo the change</a> (it moves the account back to this address and signs everyone out).</p><p>The link works for 7 days.</p>`,
      });
      await deps.audit.record({
        type: 'email.changed',
        outcome: 'success',
        userId: row.userId,
        ...meta,
        details: { old_email: changed.oldEmail, new_email: row.email, revoked_sessions: revoked },
      });
      return { userId: row.userId, email: row.email };
    },

    /**
     * The link sent to the replaced address: moves the account back to it (verified: the link
     * proved it), signs every session out and retires every pending emailed token. Refused when
     * another account has taken the address meanwhile.
     */
    async undoEmailChange(token: string, meta: RequestMeta): Promise<{ userId: string; email: string }> {
      if (!looksLikeAccountToken('undo_email_change', token)) throw coreErrors.invalidAccountToken();
      const now = deps.clock.now();
      const row = await deps.tokens.consume('undo_email_change', hashToken(token), now);
      if (!row?.email) throw coreErrors.invalidAccountToken();
      const restored = await deps.accounts.changeEmail(row.userId, row.email, now);
      if (!restored) {
        await deps.audit.record({ type: 'email.change_undone', outcome: 'failure', userId: row.userId, ...meta, details: { reason: 'email_taken' } });
        throw accountErrors.emailTaken();
      }
      const revoked = await deps.signOutEverywhere(row.userId, 'email_change_undone');
      await deps.tokens.retireAllForUser(row.userId, now);
      deps.sendMailInBackground({
        to: row.email,
        subject: 'Your Malet email address was restored',
        text: `Your Malet account signs in with this address again, and every session was signed out. If someone else knew your password, choose a new one: ${deps.publicUrl}/auth/forgot-password`,
      });
      await deps.audit.record({
        type: 'email.change_undone',
        outcome: 'success',
        userId: row.userId,
        ...meta,
        details: { restored_email: row.email, replaced_email: restored.oldEmail, revoked_sessions: revoked },
      });
      return { userId: row.userId, email: row.email };
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;

