import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANONYMOUS, INTERNAL_CALLERS, createInternalTokenSigner, type InternalCaller } from '@malet/internal-auth';
import { startGatewayTestInstance, type GatewayTestInstance } from './gateway-test-instance';

/**
 * Every internal endpoint of every service and the callers it serves. A token is proof of who
 * signed it, not a pass to everything: the gateway's anonymous token (minted for every anonymous
 * GraphQL request) must not deliver events to users as if it were auth's outbox.
 */
const INTERNAL_ENDPOINTS: { service: string; method: 'GET' | 'POST'; path: string; callers: InternalCaller[]; body?: unknown }[] = [
  {
    service: 'users',
    method: 'POST',
    path: '/internal/events',
    callers: ['auth'],
    // An unknown topic is acknowledged and changes nothing.
    body: { id: '7c1e1f4e-0000-4000-8000-000000000001', topic: 'test.nothing', payload: {}, created_at: new Date(0).toISOString() },
  },
  { service: 'users', method: 'GET', path: '/internal/users/:id', callers: ['auth'] },
  { service: 'organizations', method: 'GET', path: '/internal/users/:id/memberships', callers: ['scim', 'auth'] },
  { service: 'scim', method: 'GET', path: '/internal/stats', callers: ['gateway'] },
  { service: 'auth', method: 'GET', path: '/internal/revocations', callers: ['gateway'] },
  { service: 'auth', method: 'POST', path: '/internal/provisioning/identities', callers: ['scim'], body: {} },
  { service: 'auth', method: 'POST', path: '/internal/events', callers: ['scim'], body: {} },
  { service: 'organizations', method: 'POST', path: '/internal/scim-tokens/verify', callers: ['scim'], body: {} },
  // Organizations also takes auth's saml.user.signed_in events, and its SAML connections are for auth's ACS alone.
  { service: 'organizations', method: 'POST', path: '/internal/events', callers: ['scim', 'auth'], body: {} },
  { service: 'organizations', method: 'GET', path: '/internal/organizations/:id/saml-connection', callers: ['auth'] },
  { service: 'organizations', method: 'GET', path: '/internal/saml-connections/by-domain/:domain', callers: ['auth'] },
  ...['auth', 'users', 'organizations', 'content-feed'].map((service) => ({
    service,
    method: 'POST' as const,
    path: '/graphql',
    callers: ['gateway'] as InternalCaller[],
    body: { query: '{ __typename }' },
  })),
];

const root = resolve(import.meta.dirname, '../..');

/** Every `/internal/...` route path written in a service's source (template URLs of callers are not routes). */
function internalPathsInSources(): { service: string; path: string }[] {
  const found: { service: string; path: string }[] = [];
  for (const service of readdirSync(join(root, 'services'))) {
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (/\.ts$/.test(entry.name) && !/\.(spec|test)\.ts$/.test(entry.name)) {
          for (const match of readFileSync(path, 'utf8').matchAll(/['"`](\/internal\/[a-z0-9/:_-]+)['"`]/g)) found.push({ service, path: match[1]! });
        }
      }
    };
    walk(join(root, 'services', service, 'src'));
  }
  return found;
}

let suite: GatewayTestInstance;
let userId: string;
beforeAll(async () => {
  suite = await startGatewayTestInstance();
  ({ user: { id: userId } } = await suite.devToken('user@example.com'));
});
afterAll(() => suite?.stop());

async function call(endpoint: (typeof INTERNAL_ENDPOINTS)[number], caller: InternalCaller) {
  const token = await createInternalTokenSigner({ secret: suite.internalTokenSecret, issuer: caller })(ANONYMOUS);
  const controller = new AbortController();
  const response = await fetch(`${suite.urls[endpoint.service]}${endpoint.path.replace(':id', userId)}`, {
    method: endpoint.method,
    headers: { 'x-internal-token': token, ...(endpoint.body ? { 'content-type': 'application/json' } : {}) },
    body: endpoint.body ? JSON.stringify(endpoint.body) : undefined,
    signal: controller.signal,
  });
  // A stream (the revocation feed) is judged by its status; the body is not awaited.
  const body = response.headers.get('content-type')?.includes('json') ? ((await response.json()) as Record<string, unknown>) : null;
  controller.abort();
  return { status: response.status, body };
}

describe('each internal endpoint serves the callers it names, and no other', () => {
  it('lists every /internal route found in the services\' sources', () => {
    const listed = new Set(INTERNAL_ENDPOINTS.map((endpoint) => `${endpoint.service} ${endpoint.path}`));
    const missing = internalPathsInSources().filter(({ service, path }) => !listed.has(`${service} ${path}`));
    expect(missing).toEqual([]);
  });

  it('refuses the gateway\'s anonymous token at users\' /internal/events with 403, and accepts auth\'s', async () => {
    const events = INTERNAL_ENDPOINTS[0]!;
    expect(await call(events, 'gateway')).toMatchObject({ status: 403, body: { status: 403, code: 'internal:caller_forbidden' } });
    expect(await call(events, 'auth')).toEqual({ status: 200, body: { status: 'ignored' } });
  });

  it.each(INTERNAL_ENDPOINTS.map((endpoint) => [`${endpoint.service} ${endpoint.method} ${endpoint.path}`, endpoint] as const))(
    '%s: 403 for every other caller, through for its own',
    async (_name, endpoint) => {
      for (const caller of INTERNAL_CALLERS) {
        const { status, body } = await call(endpoint, caller);
        if (endpoint.callers.includes(caller)) {
          expect([401, 403], `${caller} is one of its callers`).not.toContain(status);
        } else {
          expect({ caller, status, code: body?.code }).toEqual({ caller, status: 403, code: 'internal:caller_forbidden' });
        }
      }
    },
  );
});
