import type { AuditLog } from '../audit/audit-log';
import type { Clock } from '../clock';
import type { SessionService } from '../sessions/session.service';
import type { IdentityRepository, IdentityRow } from './identity.repository';

/**
 * What a feature removes when a mailbox owner first proves an address (see below); it reports
 * what it did, for the audit row (`{ passwordRemoved: true }`).
 */
export type MailboxProvenHook = (userId: string) => Promise<Record<string, unknown>>;

/**
 * Proof of mailbox control: an emailed code or link came back. The account behind it is the
 * existing identity, now marked verified, or a new one created with its `user.created` outbox
 * event (sign-up on first verified login).
 *
 * An account that was never verified may have been registered by someone else with a password
 * of their choosing (pre-account takeover). The first proof of mailbox control therefore retires
 * what the unproven holder had: each feature's `onMailboxProven` hook (passwords removes the
 * password) and every earlier session.
 */
export function createMailboxProof(deps: {
  identities: Pick<IdentityRepository, 'findByEmail' | 'createWithEvent' | 'markEmailVerified'>;
  sessions: Pick<SessionService, 'revokeAllForUser'>;
  audit: AuditLog;
  clock: Clock;
  /** Wakes the outbox relay after a sign-up, so the profile follows promptly. */
  onSignUp: () => void;
}) {
  const hooks: MailboxProvenHook[] = [];

  async function retireUnprovenAccess(userId: string): Promise<void> {
    const details: Record<string, unknown> = {};
    for (const hook of hooks) Object.assign(details, await hook(userId));
    details.sessionsRevoked = await deps.sessions.revokeAllForUser(userId, 'email_ownership_proven');
    if (Object.values(details).some((value) => value === true || (typeof value === 'number' && value > 0))) {
      await deps.audit.record({ type: 'account.ownership_proven', outcome: 'success', userId, details });
    }
  }

  return {
    /** The identity of a mailbox whose control was just proven, created on first proof. */
    async verifiedIdentityFor(email: string): Promise<IdentityRow> {
      const existing = await deps.identities.findByEmail(email);
      if (existing) {
        if (!existing.emailVerifiedAt && (await deps.identities.markEmailVerified(existing.id, deps.clock.now()))) {
          await retireUnprovenAccess(existing.id);
        }
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
