import type { AccountTokenRepository } from '../account-tokens/account-token.repository';
import type { AuditLog } from '../audit/audit-log';
import type { Clock } from '../clock';
import type { IdentityRepository, IdentityRow } from './identity.repository';

/**
 * What a feature removes when a mailbox owner first proves an address (see below); it reports
 * what it did, for the audit row (`{ passwordRemoved: true }`, `{ mfaFactorsRemoved: 1 }`).
 */
export type MailboxProvenHook = (userId: string) => Promise<Record<string, unknown>>;

/** Ends every session of a user, their refresh tokens and their half-done sign-ins (core.signOutEverywhere). */
export type SignOutEverywhere = (userId: string, reason: string, exceptSessionId?: string) => Promise<number>;

/**
 * Proof of mailbox control: an emailed code, link, verification or reset token came back.
 *
 * An account that was never verified may have been registered by someone else, who then set a
 * password, signed in, enrolled an authenticator and asked to move the account to their own
 * address, all before the owner ever saw it (pre-account takeover). The first proof of mailbox
 * control, by any route, therefore retires everything the unproven holder had: each feature's
 * `onMailboxProven` hook (passwords removes the password, MFA the factors and backup codes),
 * then core ends every session, refresh token and sign-in waiting on a second factor, and
 * retires every pending emailed token (an email change confirmed later would hand the account
 * back). Only a verifier who also proves the registration's password is the holder
 * (`holderProven`), and keeps what they have.
 */
export function createMailboxProof(deps: {
  identities: Pick<IdentityRepository, 'findByEmail' | 'createWithEvent' | 'markAddressVerified'>;
  accountTokens: Pick<AccountTokenRepository, 'retireAllForUser'>;
  signOutEverywhere: SignOutEverywhere;
  audit: AuditLog;
  clock: Clock;
  /** Wakes the outbox relay after a sign-up, so the profile follows promptly. */
  onSignUp: () => void;
}) {
  const hooks: MailboxProvenHook[] = [];

  async function retireUnprovenAccess(userId: string): Promise<void> {
    const details: Record<string, unknown> = {};
    for (const hook of hooks) Object.assign(details, await hook(userId));
    details.sessionsRevoked = await deps.signOutEverywhere(userId, 'email_ownership_proven');
    details.accountTokensRetired = await deps.accountTokens.retireAllForUser(userId, deps.clock.now());
    if (Object.values(details).some((value) => value === true || (typeof value === 'number' && value > 0))) {
      await deps.audit.record({ type: 'account.ownership_proven', outcome: 'success', userId, details });
    }
  }

  /**
   * Marks `email` verified on the account while it is still its address; the first time, the
   * unproven holder's access goes (unless the verifier is that holder). False when the account
   * has another address now: a token for an old address proves nothing about the current one.
   */
  async function proveAddress(userId: string, email: string, options: { holderProven?: boolean } = {}): Promise<boolean> {
    const outcome = await deps.identities.markAddressVerified(userId, email, deps.clock.now());
    if (outcome === 'first_proof' && !options.holderProven) await retireUnprovenAccess(userId);
    return outcome !== 'not_current';
  }

  return {
    proveAddress,

    /** The identity of a mailbox whose control was just proven, created on first proof. */
    async verifiedIdentityFor(email: string): Promise<IdentityRow> {
      const existing = await deps.identities.findByEmail(email);
      if (existing) {
        if (!existing.emailVerifiedAt) await proveAddress(existing.id, existing.email);
        return existing;
      }
      const { identity, created } = await deps.identities.createWithEvent({ email, verified: true });
      if (created) deps.onSignUp();
      return identity;
    },

    /** Registers a feature's part of retiring unproven access (when the feature is mounted). */
    onProven(hook: MailboxProvenHook): void {
      hooks.push(hook);
    },
  };
}

export type MailboxProof = ReturnType<typeof createMailboxProof>;
