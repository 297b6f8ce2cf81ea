import type { IdentityRepository } from '../../core/identities/identity.repository';
import { normalizeEmail } from '../../core/identities/email';

/** Dev mode only: the seed's users exist on every start (idempotent). */
export async function seedDevIdentities(
  identities: Pick<IdentityRepository, 'createWithEvent'>,
  seed: { emails: string[]; adminEmails: string[] },
): Promise<number> {
  let created = 0;
  for (const email of seed.emails.map(normalizeEmail)) {
    const roles = seed.adminEmails.includes(email) ? ['admin'] : [];
    const result = await identities.createWithEvent({ email, roles, verified: true });
    if (result.created) created += 1;
  }
  return created;
}
