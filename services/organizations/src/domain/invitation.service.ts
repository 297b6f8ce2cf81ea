import { isDatabaseUnavailable, NotFoundError, ServiceUnavailableError, ValidationError } from '@malet/errors';
import { InvitationMailNotQueuedError, type InvitationRepository, type InvitationRow } from '../data/invitation.repository';
import type { OrganizationRow } from '../data/organization.repository';
import { MANAGERS, requireViewer, type OrganizationService } from './organization.service';
import { hashToken, looksLikeToken, mintToken } from './secret-token';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const INVITATION_TTL_MS = 7 * 24 * 3_600_000;

export type InvitationStatus = 'PENDING' | 'ACCEPTED' | 'REVOKED' | 'EXPIRED';

export function statusOf(row: InvitationRow, now = new Date()): InvitationStatus {
  if (row.acceptedAt) return 'ACCEPTED';
  if (row.revokedAt) return 'REVOKED';
  return row.expiresAt.getTime() <= now.getTime() ? 'EXPIRED' : 'PENDING';
}

/**
 * Invitations by email. The emailed token is the proof of the mailbox; accepting also needs a
 * session for that same email address, so a forwarded invitation is useless to someone else.
 * The mail is queued with the invitation (one transaction) and relayed to SMTP in the
 * background, so an SMTP outage delays the mail but never fails or undoes the invitation.
 */
export function createInvitationService(deps: {
  invitations: InvitationRepository;
  organizations: OrganizationService;
  findOrganization: (id: string) => Promise<OrganizationRow | null>;
  /** Called once an invitation and its queued mail are committed: the relay sends it now rather than at its next poll. */
  onMailQueued: () => void;
  publicUrl: string;
  ttlMs?: number;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  const ttlMs = deps.ttlMs ?? INVITATION_TTL_MS;

  async function manageableOrThrow(viewerId: string | null, id: string): Promise<InvitationRow> {
    const notFound = () => new NotFoundError('No such invitation', 'invitation:not_found');
    const row = await deps.invitations.findById(id);
    if (!row) throw notFound();
    await deps.organizations.requireRole(viewerId, row.organizationId, MANAGERS, notFound);
    return row;
  }

  return {
    async invite(viewerId: string | null, input: { organizationId: string; email: string; role: 'admin' | 'member' }): Promise<InvitationRow> {
      const actor = await deps.organizations.requireRole(viewerId, input.organizationId, MANAGERS);
      const email = input.email.trim().toLowerCase();
      if (!EMAIL.test(email) || email.length > 320) throw new ValidationError('Invalid email', ['email']);
      const organization = (await deps.findOrganization(input.organizationId))!;
      const token = mintToken('inv');
      const expiresAt = new Date(now().getTime() + ttlMs);
      const link = `${deps.publicUrl}/invitations/accept?token=${encodeURIComponent(token)}`;
      const mail = {
        to: email,
        subject: `You are invited to join ${organization.name} on Malet`,
        text: `You were invited to join ${organization.name} as ${input.role}.\n\nAccept: ${link}\n\nOr accept with the acceptInvitation mutation and this token:\n${token}\n\nThe invitation expires on ${expiresAt.toISOString()}.`,
      };
      const values = { organizationId: input.organizationId, email, role: input.role, tokenHash: hashToken(token), invitedBy: actor.userId, expiresAt };
      const row = await deps.invitations.insertWithMail(values, mail).catch((error: unknown) => {
        // A database that is away stays a retryable service:database_unavailable; any other refusal of the mail is named as such.
        if (error instanceof InvitationMailNotQueuedError && !isDatabaseUnavailable(error)) {
          throw new ServiceUnavailableError('The invitation email could not be queued; no invitation was created', 'mail:unavailable', { cause: error });
        }
        throw error;
      });
      deps.onMailQueued();
      return row;
    },

    async list(viewerId: string | null, organizationId: string): Promise<InvitationRow[]> {
      await deps.organizations.requireRole(viewerId, organizationId, MANAGERS);
      return deps.invitations.listForOrganization(organizationId);
    },

    async revoke(viewerId: string | null, id: string): Promise<InvitationRow> {
      const row = await manageableOrThrow(viewerId, id);
      return (await deps.invitations.revoke(row.id, now())) ?? row;
    },

    /** Joins the organization; an unknown, spent, revoked, expired or someone else's invitation is the same "not found". */
    async accept(viewer: { userId: string | null; email: string | null }, token: string): Promise<InvitationRow> {
      const userId = requireViewer(viewer.userId);
      const accepted =
        viewer.email && looksLikeToken('inv', token)
          ? await deps.invitations.accept({ tokenHash: hashToken(token), email: viewer.email.toLowerCase(), userId, now: now() })
          : null;
      if (!accepted) throw new NotFoundError('No open invitation for you with that token', 'invitation:not_found');
      return accepted;
    },
  };
}

export type InvitationService = ReturnType<typeof createInvitationService>;
