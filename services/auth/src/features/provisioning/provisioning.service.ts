import type { AuditLog } from '../../core/audit/audit-log';
import type { IdentityRepository } from '../../core/identities/identity.repository';
import type { MailboxProof } from '../../core/identities/mailbox-proof';
import type { SessionService } from '../../core/sessions/session.service';
import type { ProvisioningRepository } from './provisioning.repository';

/** What a SCIM provisioning event says about one account (see docs/provisioning.md). */
export interface ProvisioningChange {
  organizationId: string;
  userId: string;
  active: boolean;
  deleted: boolean;
  sequence: number;
}

/**
 * SCIM provisioning, auth's part: the identity behind a provisioned email (reused when it exists,
 * created otherwise), and the identity provider's deactivations, reactivations and deletions,
 * which block sign-in (core's sign-in guard asks `isBlocked`) and end every session at once.
 */
export function createProvisioningService(deps: {
  accounts: ProvisioningRepository;
  identities: Pick<IdentityRepository, 'findByEmail' | 'announceDisplayName'>;
  mailboxProof: Pick<MailboxProof, 'verifiedIdentityFor'>;
  sessions: Pick<SessionService, 'revokeAllForUser'>;
  audit: AuditLog;
  onAnnounced: () => void;
}) {
  return {
    /**
     * The organization proved it owns the email's domain (the SCIM service checks that before it
     * asks), so its word counts as proof of the mailbox: an unverified holder's access is retired
     * as when the owner proves the address by mail.
     */
    async provisionIdentity(input: { email: string; organizationId: string; displayName: string | null }): Promise<{ userId: string; created: boolean }> {
      const existed = await deps.identities.findByEmail(input.email);
      const identity = await deps.mailboxProof.verifiedIdentityFor(input.email);
      if (input.displayName) await deps.identities.announceDisplayName(identity.id, input.displayName);
      deps.onAnnounced();
      await deps.audit.record({
        type: 'account.provisioned',
        outcome: 'success',
        userId: identity.id,
        details: { organization_id: input.organizationId, created: !existed },
      });
      return { userId: identity.id, created: !existed };
    },

    /**
     * Applies a provisioning change inside the caller's transaction; true when it was newer than
     * what was known (an older or repeated one changes nothing).
     */
    applyChange: (tx: Parameters<ProvisioningRepository['applyState']>[0], change: ProvisioningChange) => deps.accounts.applyState(tx, change),

    /**
     * Ends every session of a blocked account and announces the revocation to the gateways. Runs
     * after every delivery of a blocking event, repeated ones included: if a first attempt failed
     * half-way, the redelivery finishes the job (revoking what is already revoked is a no-op).
     */
    async enforce(userId: string, reason: 'deactivated' | 'deleted'): Promise<void> {
      if (!(await deps.accounts.isBlocked(userId))) return;
      const sessionsRevoked = await deps.sessions.revokeAllForUser(userId, `scim_${reason}`);
      if (sessionsRevoked > 0) await deps.audit.record({ type: 'account.deprovisioned', outcome: 'success', userId, details: { reason, sessionsRevoked } });
    },

    isBlocked: (userId: string) => deps.accounts.isBlocked(userId),
  };
}

export type ProvisioningService = ReturnType<typeof createProvisioningService>;
