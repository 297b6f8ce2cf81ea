import { randomBytes } from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError } from '@malet/errors';
import type { DomainRepository, DomainRow } from '../data/domain.repository';
import type { TxtResolver } from '../infra/txt-resolver';
import { MANAGERS, type OrganizationService } from './organization.service';

const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
export const TXT_RECORD_PREFIX = '_malet-challenge';
export const TXT_VALUE_PREFIX = 'malet-domain-verification=';

export function txtRecordFor(row: Pick<DomainRow, 'domain' | 'verificationToken'>) {
  return { name: `${TXT_RECORD_PREFIX}.${row.domain}`, value: `${TXT_VALUE_PREFIX}${row.verificationToken}` };
}

/**
 * Verified email domains. An owner or admin claims a domain, publishes the TXT record we name,
 * and asks us to check it; once verified the domain is the organization's alone. `skipProof`
 * (dev only, refused in production by the config) verifies without looking at DNS.
 */
export function createDomainVerificationService(deps: {
  domains: DomainRepository;
  organizations: OrganizationService;
  resolver: TxtResolver;
  skipProof: boolean;
}) {
  const { domains, organizations } = deps;

  async function ownedOrThrow(viewerId: string | null, id: string): Promise<DomainRow> {
    const notFound = () => new NotFoundError('No such domain', 'domain:not_found');
    const row = await domains.findById(id);
    if (!row) throw notFound();
    await organizations.requireRole(viewerId, row.organizationId, MANAGERS, notFound);
    return row;
  }

  return {
    async add(viewerId: string | null, input: { organizationId: string; domain: string }): Promise<DomainRow> {
      await organizations.requireRole(viewerId, input.organizationId, MANAGERS);
      const domain = input.domain.trim().toLowerCase().replace(/\.$/, '');
      if (!DOMAIN.test(domain)) throw new ValidationError('Invalid domain', ['domain']);
      return domains.claim(input.organizationId, domain, randomBytes(24).toString('base64url'));
    },

    async verify(viewerId: string | null, id: string): Promise<DomainRow> {
      const row = await ownedOrThrow(viewerId, id);
      if (row.verifiedAt) return row;
      if (!deps.skipProof) {
        const record = txtRecordFor(row);
        const published = await deps.resolver.resolveTxt(record.name);
        if (!published.includes(record.value)) {
          throw new ConflictError(`No TXT record ${record.name} with the expected value was found`, 'domain:proof_missing');
        }
      }
      const verified = await domains.markVerified(row.id, new Date());
      if (verified === 'taken') throw new ConflictError('Another organization has verified this domain', 'domain:taken');
      return verified;
    },

    async remove(viewerId: string | null, id: string): Promise<void> {
      const row = await ownedOrThrow(viewerId, id);
      await domains.remove(row.id);
    },
  };
}

export type DomainVerificationService = ReturnType<typeof createDomainVerificationService>;
