import { randomUUID } from 'node:crypto';
import type { DnsServer } from '@malet/testing';
import type { Suite } from './suite';

/**
 * An organization made as a customer does, through the gateway's GraphQL: created by `ownerEmail`
 * (a seeded dev user) and with a domain proven by a TXT record on the test DNS server.
 */
export async function organizationWithVerifiedDomain(suite: Suite, dns: DnsServer, ownerEmail = 'user@example.com') {
  const graphql = async <T>(query: string, variables: Record<string, unknown>): Promise<T> => {
    const result = await suite.graphql<T>(query, { token, variables });
    if (result.errors) throw new Error(JSON.stringify(result.errors));
    return result.data!;
  };
  const { token } = await suite.devToken(ownerEmail);
  const slug = `org-${randomUUID().slice(0, 8)}`;
  const domain = `${slug}.test`;
  const { createOrganization } = await graphql<{ createOrganization: { id: string } }>('mutation($s: String!) { createOrganization(name: "Acme", slug: $s) { id } }', { s: slug });
  const { addDomain } = await graphql<{ addDomain: { id: string; txtRecordName: string; txtRecordValue: string } }>(
    'mutation($o: ID!, $d: String!) { addDomain(organizationId: $o, domain: $d) { id txtRecordName txtRecordValue } }',
    { o: createOrganization.id, d: domain },
  );
  dns.records.set(addDomain.txtRecordName, [addDomain.txtRecordValue]);
  await graphql('mutation($i: ID!) { verifyDomain(id: $i) { verified } }', { i: addDomain.id });
  return { organizationId: createOrganization.id, slug, domain, ownerToken: token };
}
