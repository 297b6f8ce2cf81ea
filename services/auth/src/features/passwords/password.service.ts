import type { Logger } from '@malet/logging';
import type { AccountTokenRepository } from '../../core/account-tokens/account-token.repository';
import { isLiveAccountToken, issueAccountToken, looksLikeAccountToken } from '../../core/account-tokens/account-tokens';
import type { EmailVerification } from '../../core/account-tokens/email-verification';
import type { AuditLog } from '../../core/audit/audit-log';
import type { BackgroundTasks } from '../../core/background';
import type { Clock } from '../../core/clock';
import { coreErrors } from '../../core/errors/core.errors';
import type { RequestMeta } from '../../core/http/request-meta';
import type { IdentityRepository } from '../../core/identities/identity.repository';
import type { MailboxProof, SignOutEverywhere } from '../../core/identities/mailbox-proof';
import type { OutgoingMail } from '../../core/mail/mailer';
import type { CompleteSignIn, SignInResult } from '../../core/sign-in/complete-sign-in';
import { hashToken } from '../../core/tokens';
import type { CredentialRepository } from './credential.repository';
import type { LockoutService } from './lockout.service';
import type { PasswordHasher } from './password-hasher';
import { normalizePassword, type PasswordPolicy } from './password-policy';
import { passwordErrors } from './password.errors';

/** RFC 8176 `amr` value for a password. */
export const PASSWORD_METHOD = 'pwd';

const RESET_TTL_SECONDS = 3600;

/**
 * Password accounts: registration, sign-in, forgotten and changed passwords. Unknown emails
 * cost the same argon2id verification as known ones (a dummy hash) and get the same answers.
 */
export function createPasswordService(deps: {
  identities: Pick<IdentityRepository, 'findById' | 'findByEmail' | 'createWithEvent' | 'announceDisplayName'>;
  mailboxProof: Pick<MailboxProof, 'proveAddress'>;
  signOutEverywhere: SignOutEverywhere;
  /** Opens `recent` access for a session whose holder just proved who they are again. */
  markReauthenticated: (sessionId: string) => Promise<void>;
  credentials: CredentialRepository;
  tokens: AccountTokenRepository;
  hasher: PasswordHasher;
  policy: PasswordPolicy;
  lockout: LockoutService;
  emailVerification: EmailVerification;
  sendMailInBackground: (mail: OutgoingMail) => void;
  background: BackgroundTasks;
  completeSignIn: CompleteSignIn;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  publicUrl: string;
  /** Wakes the outbox relay after a sign-up, so the profile follows promptly. */
  onSignUp: () => void;
}) {
  const { credentials, hasher, lockout, audit, clock } = deps;

  /**
   * `POST /auth/register`. A new email gets an account, the password hash and a verification
   * email; an email that already has an account gets exactly the same answer, and its owner an
   * email saying so. The password is hashed on both paths, so timing does not tell them apart.
   */
  async function register(input: { email: string; password: string; name?: string | undefined; meta: RequestMeta }): Promise<void> {
    const password = normalizePassword(input.password);
    await deps.policy.assertAcceptable(password, input.email);
    const hash = await hasher.hash(password);
    const { identity, created } = await deps.identities.createWithEvent({ email: input.email }, (tx, created) =>
      credentials.insertWithin(tx, created.id, hash, created.createdAt),
    );
    if (!created) {
      // Never attach a password to an account nobody proved they own (pre-account takeover).
      deps.sendMailInBackground({
        to: identity.email,
        subject: 'You already have a Malet account',
        text: `Someone tried to create a Malet account with this email address, which already has one. If it was you, sign in, or set a new password here: ${deps.publicUrl}/auth/forgot-password\n\nIf it was not you, you can ignore this email: nothing changed.`,
      });
      await audit.record({ type: 'signup', outcome: 'failure', userId: identity.id, method: PASSWORD_METHOD, ...input.meta, details: { reason: 'email_exists' } });
      return;
    }
    await audit.record({ type: 'signup', outcome: 'success', userId: identity.id, method: PASSWORD_METHOD, ...input.meta });
    // The rest happens after the answer, so a new account costs the caller no more time than an
    // existing one (whose path only queues an email).
    const name = input.name;
    deps.background.run('finish a registration', async () => {
      if (name) await deps.identities.announceDisplayName(identity.id, name);
      deps.onSignUp();
      deps.sendMailInBackground(await deps.emailVerification.issueMail(identity));
    });
  }

  /**
   * `POST /auth/login`. Paused by the lockout after repeated failures (password only); a
   * correct password clears the failure count, upgrades a hash made with older parameters, and
   * hands over to `completeSignIn` (MFA first when enrolled). One query reads the lockout state,
   * the account and its hash; the cleared counter is stored in the sign-in's one statement.
   */
  async function login(input: { email: string; password: string; meta: RequestMeta }): Promise<{ result: SignInResult; emailVerified: boolean }> {
    const keys = lockout.keysFor(input.email, input.meta.ip);
    const state = await credentials.findSignInState(input.email, keys);
    const counter = lockout.openCounter(keys, state);
    const password = normalizePassword(input.password);
    const { identity, hash: stored } = state;
    const ok = identity && stored ? await hasher.verify(stored, password) : await hasher.verifyDummy(password);
    if (!identity || !stored || !ok) {
      await lockout.recordFailureOn(counter, { userId: identity?.id ?? null, ...input.meta });
      await audit.record({
        type: 'signin',
        outcome: 'failure',
        userId: identity?.id ?? null,
        method: PASSWORD_METHOD,
        ...input.meta,
        details: { reason: !identity ? 'unknown_email' : !stored ? 'no_password' : 'wrong_password' },
      });
      throw passwordErrors.invalidCredentials();
    }
    if (hasher.needsRehash(stored)) {
      await credentials.replacePasswordHash(identity.id, stored, await hasher.hash(password), clock.now());
      deps.logger.info({ userId: identity.id }, 'password hash upgraded to the current argon2id parameters');
    }
    const result = await deps.completeSignIn({
      user: { id: identity.id, email: identity.email },
      method: PASSWORD_METHOD,
      meta: input.meta,
      writes: [lockout.clearWrite(counter)],
    });
    return { result, emailVerified: identity.emailVerifiedAt !== null };
  }

  /**
   * `POST /auth/forgot-password`: the caller always gets the same answer; the work for a known
   * account (token, email) happens after the answer, so timing does not reveal it either.
   */
  async function forgotPassword(input: { email: string; meta: RequestMeta }): Promise<void> {
    const identity = await deps.identities.findByEmail(input.email);
    if (!identity) return;
    deps.background.run('issue a password reset', () => sendResetLink(identity, input.meta));
  }

  async function sendResetLink(identity: { id: string; email: string }, meta: RequestMeta): Promise<void> {
    const token = await issueAccountToken(deps, {
      purpose: 'reset_password',
      userId: identity.id,
      email: identity.email,
      ttlSeconds: RESET_TTL_SECONDS,
    });
    const url = `${deps.publicUrl}/auth/reset-password?token=${encodeURIComponent(token)}`;
    deps.sendMailInBackground({
      to: identity.email,
      subject: 'Reset your Malet password',
      text: `Choose a new password by opening this link:\n\n${url}\n\nOr send this token to POST /auth/reset-password: ${token}\n\nThe link works once, for 1 hour. If you did not ask for this, ignore this email: your password has not changed.`,
      html: `<p>Choose a new password:</p><p><a href="${url}">Reset my password</a></p><p>The link works once, for 1 hour. If you did not ask for this, ignore this email: your password has not changed.</p>`,
    });
    await audit.record({ type: 'password.reset_requested', outcome: 'success', userId: identity.id, ...meta });
  }

  /**
   * `POST /auth/reset-password`: single use, one hour. The new password is checked before the
   * token is spent (a rejected password does not burn the link). The link proves the mailbox:
   * on an account nobody had proved, whatever its unproven holder had goes first (mailbox-proof).
   * Then the password is set, every session, refresh token and sign-in waiting on a second factor
   * ends, pending email changes die, and the lockout is cleared.
   */
  async function resetPassword(input: { token: string; password: string; meta: RequestMeta }): Promise<void> {
    if (!looksLikeAccountToken('reset_password', input.token)) throw coreErrors.invalidAccountToken();
    const tokenHash = hashToken(input.token);
    const live = await deps.tokens.findLive('reset_password', tokenHash, clock.now());
    if (!live) throw coreErrors.invalidAccountToken();
    const identity = await deps.identities.findById(live.userId);
    if (!identity || identity.email !== live.email) throw coreErrors.invalidAccountToken();
    const password = normalizePassword(input.password);
    await deps.policy.assertAcceptable(password, identity.email);
    const hash = await hasher.hash(password);
    const now = clock.now();
    const consumed = await deps.tokens.consume('reset_password', tokenHash, now);
    if (!consumed) throw coreErrors.invalidAccountToken();
    if (!(await deps.mailboxProof.proveAddress(identity.id, identity.email))) throw coreErrors.invalidAccountToken();
    await credentials.setPasswordHash(identity.id, hash, now);
    await deps.tokens.retireAllForUser(identity.id, now, ['reset_password', 'change_email']);
    const revoked = await deps.signOutEverywhere(identity.id, 'password_reset');
    await lockout.clear(identity.email, null);
    await audit.record({ type: 'password.reset', outcome: 'success', userId: identity.id, method: PASSWORD_METHOD, ...input.meta, details: { revoked_sessions: revoked } });
    notifyPasswordChanged(identity.email);
  }

  /**
   * `POST /auth/change-password` for a signed-in user: the current password is required (and
   * wrong guesses count towards the lockout); other sessions are signed out.
   */
  async function changePassword(input: {
    userId: string;
    sessionId: string;
    currentPassword: string;
    newPassword: string;
    meta: RequestMeta;
  }): Promise<{ revokedSessions: number }> {
    const identity = await deps.identities.findById(input.userId);
    if (!identity) throw passwordErrors.wrongPassword('current_password');
    await lockout.assertNotLocked(identity.email, input.meta.ip);
    const stored = await credentials.findPasswordHash(identity.id);
    const current = normalizePassword(input.currentPassword);
    const ok = stored ? await hasher.verify(stored, current) : await hasher.verifyDummy(current);
    if (!stored || !ok) {
      await lockout.recordFailure(identity.email, { userId: identity.id, ...input.meta });
      await audit.record({ type: 'password.changed', outcome: 'failure', userId: identity.id, method: PASSWORD_METHOD, ...input.meta, details: { reason: 'wrong_password' } });
      throw passwordErrors.wrongPassword('current_password');
    }
    const password = normalizePassword(input.newPassword);
    await deps.policy.assertAcceptable(password, identity.email);
    const now = clock.now();
    await credentials.setPasswordHash(identity.id, await hasher.hash(password), now);
    await lockout.clear(identity.email, input.meta.ip);
    await deps.tokens.retireAll(identity.id, 'reset_password', now);
    const revokedSessions = await deps.signOutEverywhere(identity.id, 'password_changed', input.sessionId);
    await audit.record({ type: 'password.changed', outcome: 'success', userId: identity.id, method: PASSWORD_METHOD, ...input.meta, details: { revoked_sessions: revokedSessions } });
    notifyPasswordChanged(identity.email);
    return { revokedSessions };
  }

  /** Re-authentication for sensitive changes (email change): true when the account has no password. */
  async function confirmPasswordIfSet(userId: string, email: string, password: string | undefined, meta: RequestMeta): Promise<void> {
    const stored = await credentials.findPasswordHash(userId);
    if (!stored) return;
    await lockout.assertNotLocked(email, meta.ip);
    if (password === undefined || !(await hasher.verify(stored, normalizePassword(password)))) {
      await lockout.recordFailure(email, { userId, ...meta });
      throw passwordErrors.wrongPassword('password');
    }
  }

  /**
   * `POST /auth/reauthenticate`: the session's holder proves who they are again with the
   * password (wrong guesses count towards the lockout), which opens `recent`-access changes for
   * this session for RECENT_SIGN_IN_SECONDS.
   */
  async function reauthenticate(session: { id: string; userId: string; email: string }, password: string, meta: RequestMeta): Promise<void> {
    if (!(await credentials.findPasswordHash(session.userId))) throw passwordErrors.noPassword();
    try {
      await confirmPasswordIfSet(session.userId, session.email, password, meta);
    } catch (error) {
      await audit.record({ type: 'session.reauthenticated', outcome: 'failure', userId: session.userId, method: PASSWORD_METHOD, ...meta });
      throw error;
    }
    await deps.markReauthenticated(session.id);
    await audit.record({ type: 'session.reauthenticated', outcome: 'success', userId: session.userId, method: PASSWORD_METHOD, ...meta });
  }

  /**
   * At email verification: whether the verifier knows the account's password (then they are the
   * holder who registered, and keep it). False when the account has none; a wrong one is refused
   * like a wrong current password, and counted by the lockout.
   */
  async function knowsPassword(userId: string, email: string, password: string, meta: RequestMeta): Promise<boolean> {
    if (!(await credentials.findPasswordHash(userId))) return false;
    await confirmPasswordIfSet(userId, email, password, meta);
    return true;
  }

  function notifyPasswordChanged(email: string): void {
    deps.sendMailInBackground({
      to: email,
      subject: 'Your Malet password was changed',
      text: `The password of your Malet account was just changed, and other sessions were signed out. If this was not you, reset your password at ${deps.publicUrl}/auth/forgot-password and review your account.`,
    });
  }

  return {
    register,
    login,
    forgotPassword,
    /** Whether a reset link can still be used (its page shows the form only then). */
    isResetLinkLive: (token: string) => isLiveAccountToken({ tokens: deps.tokens, clock }, 'reset_password', token),
    resetPassword,
    changePassword,
    reauthenticate,
    confirmPasswordIfSet,
    knowsPassword,
  };
}

export type PasswordService = ReturnType<typeof createPasswordService>;
