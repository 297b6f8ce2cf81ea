import type { IdentityRepository, IdentityRow } from '../data/identity.repository';

export type PasswordlessIdentities = Pick<IdentityRepository, 'findByEmail' | 'createWithEvent' | 'markEmailVerified'>;

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
