import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { startDnsServer } from '@malet/testing';
import { organizationWithVerifiedDomain } from '../../../test/support/organization-setup';
import { startSuite, type SuiteOptions } from '../../../test/support/suite';

export interface ScimTenant {
  organizationId: string;
  slug: string;
  domain: string;
  token: string;
  ownerSession: string;
}

export interface ScimResponse {
  status: number;
  headers: Headers;
  contentType: string | null;
  body: Record<string, unknown>;
}

/**
 * The whole suite (auth, users, organizations, scim, gateway as real processes) with a real DNS
 * server for domain proofs. `tenant()` makes an organization the way a customer does, through the
 * gateway's GraphQL: create it, prove a domain with a TXT record, mint a SCIM token.
 */
export async function startScimSuite(options: SuiteOptions = {}) {
  const dns = await startDnsServer();
  const suite = await startSuite({
    postgresAdminUrl: inject('postgresAdminUrl'),
    redisUrl: inject('redisUrl'),
    ...options,
    env: {
      ...options.env,
      organizations: { DNS_SERVERS: dns.address, ...options.env?.organizations },
      scim: { SCIM_TOKEN_CACHE_TTL_MS: '0', ...options.env?.scim },
    },
  });

  async function graphql<T>(token: string, query: string, variables: Record<string, unknown>): Promise<T> {
    const result = await suite.graphql<T>(query, { token, variables });
    if (result.errors) throw new Error(JSON.stringify(result.errors));
    return result.data!;
  }

  return {
    suite,
    dns,
    async tenant(ownerEmail = 'user@example.com'): Promise<ScimTenant> {
      const { organizationId, slug, domain, ownerToken } = await organizationWithVerifiedDomain(suite, dns, ownerEmail);
      const { createScimToken } = await graphql<{ createScimToken: { token: string } }>(
        ownerToken,
        'mutation($o: ID!) { createScimToken(organizationId: $o, name: "IdP") { token } }',
        { o: organizationId },
      );
      return { organizationId, slug, domain, token: createScimToken.token, ownerSession: ownerToken };
    },

    /** One SCIM request with the tenant's bearer token, to the scim service or (`via: 'gateway'`) through the gateway. */
    async scim(
      tenant: Pick<ScimTenant, 'token'> | null,
      method: string,
      path: string,
      body?: unknown,
      options: { headers?: Record<string, string>; via?: 'gateway' } = {},
    ): Promise<ScimResponse> {
      const base = options.via === 'gateway' ? suite.gatewayUrl : suite.urls.scim;
      const response = await fetch(`${base}/scim/v2${path}`, {
        method,
        headers: {
          ...(tenant ? { authorization: `Bearer ${tenant.token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }),
          ...options.headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, headers: response.headers, contentType: response.headers.get('content-type'), body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    },

    async stop() {
      await suite.stop();
      dns.close();
    },
  };
}

export type ScimSuite = Awaited<ReturnType<typeof startScimSuite>>;

export function newUser(tenant: Pick<ScimTenant, 'domain'>, overrides: Record<string, unknown> = {}) {
  const local = `user.${randomUUID().slice(0, 8)}`;
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: `${local}@${tenant.domain}`,
    name: { givenName: 'Test', familyName: 'User' },
    emails: [{ value: `${local}@${tenant.domain}`, type: 'work', primary: true }],
    active: true,
    ...overrides,
  };
}
