import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, type RunningServer } from '@malet/http-server';
import { createLogger } from '@malet/logging';
import { SERVICES } from '@malet/service-registry';
import { createGatewayApp, type GatewayApp } from '../src/app';
import { loadGatewayConfig } from '../src/config';
import { startGatewayTestInstance, type GatewayTestInstance } from './gateway-test-instance';

let suite: GatewayTestInstance;
beforeAll(async () => {
  suite = await startGatewayTestInstance();
});
afterAll(() => suite?.stop());

type GraphqlBody = { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };

async function graphql(query: string, headers: Record<string, string>, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${suite.gatewayUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as GraphqlBody };
}

const rename = 'mutation ($name: String) { updateMyProfile(displayName: $name) { displayName } }';
const displayNameOf = async (token: string) =>
  ((await graphql('{ me { displayName } }', { authorization: `Bearer ${token}` })).body.data?.me as { displayName: string | null }).displayName;

describe('CSRF through the gateway', () => {
  it('refuses a cookie-authenticated GraphQL mutation from another origin, and stores nothing', async () => {
    const { token } = await suite.devToken('user@example.com');
    const before = await displayNameOf(token);
    const foreign: Record<string, string>[] = [{ origin: 'https://evil.example' }, { origin: 'null' }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { referer: 'https://evil.example/page' }];
    for (const headers of foreign) {
      const answer = await graphql(rename, { cookie: `session_token=${token}`, ...headers }, { name: 'Mallory was here' });
      expect({ headers, status: answer.status, code: answer.body.errors?.[0]?.extensions?.code, data: answer.body.data }).toEqual({
        headers,
        status: 403,
        code: 'FORBIDDEN',
        data: undefined,
      });
    }
    expect(await displayNameOf(token)).toBe(before);
  });

  it('accepts the same mutation from the gateway\'s own origin, from a trusted origin, with a Bearer token from anywhere, and from non-browser clients', async () => {
    const { token } = await suite.devToken('user@example.com');
    const cases: [string, Record<string, string>][] = [
      ['own origin', { cookie: `session_token=${token}`, origin: suite.gatewayUrl }],
      ['trusted origin', { cookie: `session_token=${token}`, origin: 'http://localhost:3000' }],
      ['same-origin fetch metadata', { cookie: `session_token=${token}`, 'sec-fetch-site': 'same-origin' }],
      ['bearer from another origin', { authorization: `Bearer ${token}`, origin: 'https://evil.example' }],
      ['no browser headers (curl)', { cookie: `session_token=${token}` }],
    ];
    for (const [name, headers] of cases) {
      const answer = await graphql(rename, headers, { name: `Grace ${name}` });
      expect({ name, status: answer.status, errors: answer.body.errors }).toEqual({ name, status: 200, errors: undefined });
      expect(await displayNameOf(token)).toBe(`Grace ${name}`);
    }
  });

  it('lets auth refuse a cross-origin cookie logout proxied through the gateway (the session lives on), and accept one from a trusted origin', async () => {
    const { token } = await suite.devToken('user@example.com');
    const logout = (origin: string) =>
      fetch(`${suite.gatewayUrl}/auth/logout`, { method: 'POST', headers: { cookie: `session_token=${token}`, origin } });
    const refused = await logout('https://evil.example');
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ status: 403, code: 'csrf:origin_not_trusted' });
    expect((await graphql('{ me { id } }', { authorization: `Bearer ${token}` })).body.errors).toBeUndefined();
    // http://localhost:30000 is the gateway's public origin in auth's default CSRF_TRUSTED_ORIGINS.
    expect((await logout('http://localhost:30000')).status).toBe(200);
  });
});

describe('tenant isolation of organizations through the gateway', () => {
  const slug = `acme-${randomUUID().slice(0, 8)}`;
  let member: string;
  let outsider: string;
  beforeAll(async () => {
    ({ token: member } = await suite.devToken('user@example.com'));
    ({ token: outsider } = await suite.devToken('admin@example.com'));
    const created = await graphql('mutation ($slug: String!) { createOrganization(name: "Acme", slug: $slug) { slug } }', { authorization: `Bearer ${member}` }, { slug });
    expect(created.body.errors).toBeUndefined();
  });

  const orgQuery = 'query ($slug: String!) { organization(slug: $slug) { id name slug members { role user { id } } } }';

  it('shows organization(slug) and its members to a member', async () => {
    const answer = await graphql(orgQuery, { authorization: `Bearer ${member}` }, { slug });
    expect(answer.body.data?.organization).toMatchObject({ slug, members: [{ role: 'OWNER' }] });
  });

  it('answers organization(slug) with null for a non-member, so neither the organization nor its members leak', async () => {
    const answer = await graphql(orgQuery, { authorization: `Bearer ${outsider}` }, { slug });
    expect(answer.body).toEqual({ data: { organization: null } });
    const anonymous = await graphql(orgQuery, {}, { slug });
    expect(anonymous.body.data?.organization ?? null).toBeNull();
  });

  it('never lists another user\'s organizations, reached through the User entity', async () => {
    const answer = await graphql('{ user(username: "user") { id organizations { slug members { role } } } }', { authorization: `Bearer ${outsider}` });
    expect(answer.body.errors).toBeUndefined();
    expect((answer.body.data?.user as { organizations: unknown[] }).organizations).toEqual([]);
  });

  it('offers clients no way to resolve an Organization entity by id (_entities is not in the gateway\'s schema)', async () => {
    const { id } = (await graphql(orgQuery, { authorization: `Bearer ${member}` }, { slug })).body.data?.organization as { id: string };
    const answer = await graphql(
      'query ($reps: [_Any!]!) { _entities(representations: $reps) { ... on Organization { name members { role } } } }',
      { authorization: `Bearer ${outsider}` },
      { reps: [{ __typename: 'Organization', id }] },
    );
    expect({ status: answer.status, code: answer.body.errors?.[0]?.extensions?.code, data: answer.body.data }).toEqual({
      status: 400,
      code: 'GRAPHQL_VALIDATION_FAILED',
      data: undefined,
    });
  });
});

describe('security headers on answers that carry tokens (production gateway)', () => {
  let gateway: GatewayApp;
  let server: RunningServer;
  beforeAll(async () => {
    const logger = createLogger({ service: 'gateway', level: 'silent' });
    const config = loadGatewayConfig({
      NODE_ENV: 'production',
      INTERNAL_TOKEN_SECRET: suite.internalTokenSecret,
      ...Object.fromEntries(SERVICES.map((service) => [service.urlEnv, suite.urls[service.name]])),
    });
    gateway = await createGatewayApp({ config, logger });
    server = await startHttpServer(gateway.app, { port: 0, host: '127.0.0.1', logger });
  });
  afterAll(async () => {
    await server?.close();
    await gateway?.close();
  });

  function expectHardened(headers: Headers, what: string) {
    expect(headers.get('strict-transport-security'), what).toMatch(/max-age=\d{7,}/);
    expect(headers.get('x-content-type-options'), what).toBe('nosniff');
    // 'none' on auth's own token answers (passed through the proxy), 'self' on the gateway's: no other site frames either.
    expect(headers.get('content-security-policy'), what).toMatch(/frame-ancestors '(self|none)'/);
    expect(headers.get('cache-control'), what).toContain('no-store');
  }

  it('sends HSTS, nosniff, frame-ancestors and no-store with a session token proxied from auth and with GraphQL answers', async () => {
    const signIn = await fetch(`${server.url}/auth/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'user@example.com' }) });
    const { session_token: token } = (await signIn.json()) as { session_token: string };
    expect(token).toMatch(/^sess_/);
    expectHardened(signIn.headers, 'POST /auth/dev/token');
    const me = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ me { id email } }' }),
    });
    expect(me.status).toBe(200);
    expectHardened(me.headers, 'POST /graphql');
  });
});
