import type { IdentityRepository, IdentityRow } from '../data/identity.repository';
import type { OutgoingMail, Mailer } from '../infra/mailer';
import type { AuditLog } from './audit';
import type { ChallengeRepository } from '../data/challenge.repository';
import type { Clock } from './clock';
import type { CompleteSignIn, SignInMeta } from './sign-in';

export type PasswordlessIdentities = Pick<IdentityRepository, 'findByEmail' | 'createWithEvent' | 'markEmailVerified'>;

/** What both emailed sign-in methods (code and magic link) are built from. */
export interface PasswordlessDeps {
  challenges: ChallengeRepository;
  identities: PasswordlessIdentities;
  mailer: Mailer;
  audit: AuditLog;
  completeSignIn: CompleteSignIn;
  clock: Clock;
  /** Wakes the outbox relay after a sign-up, so the profile follows promptly. */
  onSignUp: () => void;
  /** See findOrCreateVerifiedIdentity: first proof of mailbox control on an unverified account. */
  onOwnershipProven: (userId: string) => Promise<void>;
}

/**
 * The account behind a mailbox whose control was just proven (an emailed code or link): the
 * existing identity, now marked verified, or a new one created with its `user.created` outbox
 * event (sign-up on first verified login).
 *
 * An account that was never verified may have been registered by someone else with a password
 * of their choosing (pre-account takeover). The first proof of mailbox control therefore calls
 * `onOwnershipProven`, which removes that password and ends every earlier session.
 */
export async function findOrCreateVerifiedIdentity(
  identities: PasswordlessIdentities,
  email: string,
  now: Date,
  hooks: { onSignUp: () => void; onOwnershipProven: (userId: string) => Promise<void> },
): Promise<IdentityRow> {
  const existing = await identities.findByEmail(email);
  if (existing) {
    if (!existing.emailVerifiedAt && (await identities.markEmailVerified(existing.id, now))) {
      await hooks.onOwnershipProven(existing.id);
    }
    return existing;
  }
  const { identity, created } = await identities.createWithEvent({ email, verified: true });
  if (created) hooks.onSignUp();
  return identity;
}

/**
 * Mails a sign-in code or link and audits the attempt, the same way for every address: a known
 * and an unknown email cost the same look-up, so neither timing nor the answer tells them apart.
 * A mail failure is audited and reported as the given error.
 */
export async function sendSignInMail(
  deps: { mailer: Mailer; audit: AuditLog; identities: Pick<IdentityRepository, 'findByEmail'> },
  input: { email: string; meta: SignInMeta; mail: Omit<OutgoingMail, 'to'>; auditType: string; method: string; onFailure: () => Error },
): Promise<void> {
  const audited = { type: input.auditType, method: input.method, ...input.meta };
  try {
    await deps.mailer.send({ to: input.email, ...input.mail });
  } catch (error) {
    await deps.audit.record({ ...audited, outcome: 'failure', details: { email: input.email, reason: 'mail_failed' } });
    throw Object.assign(input.onFailure(), { cause: error });
  }
  const userId = (await deps.identities.findByEmail(input.email))?.id ?? null;
  await deps.audit.record({ ...audited, outcome: 'success', userId, details: { email: input.email } });
}
