import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayTestInstance, type GatewayTestInstance } from './gateway-test-instance';

let suite: GatewayTestInstance;
beforeAll(async () => {
  suite = await startGatewayTestInstance();
});
afterAll(() => suite?.stop());

describe('the federated gateway in front of real services', () => {
  it('serves { me { id email } } with a Bearer token and with the session cookie', async () => {
    const { token, user } = await suite.devToken('user@example.com');
    for (const credential of [{ token }, { cookie: token }]) {
      const result = await suite.graphql('{ me { id email } }', credential);
      expect(result.status).toBe(200);
      expect(result.errors).toBeUndefined();
      expect(result.data).toEqual({ me: { id: user.id, email: 'user@example.com' } });
    }
  });

  it('gives an unauthenticated me a GraphQL UNAUTHENTICATED error, not a 500', async () => {
    const result = await suite.graphql('{ me { id email } }');
    expect(result.status).toBe(200);
    expect(result.data).toEqual({ me: null });
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('fails closed on a credential auth rejects: 401 UNAUTHENTICATED, never anonymous', async () => {
    for (const credential of [{ token: `sess_${'x'.repeat(43)}` }, { cookie: 'garbage' }, { headers: { authorization: 'Token abc' } }]) {
      const result = await suite.graphql('{ __typename }', credential);
      expect(result.status).toBe(401);
      expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(result.data).toBeUndefined();
    }
  });

  it('joins fields from several subgraphs for one user (auth, users, organizations)', async () => {
    const { token, user } = await suite.devToken('user@example.com');
    const created = await suite.graphql('mutation { createOrganization(name: "Acme", slug: "acme-federation") { slug } }', { token });
    expect(created.errors).toBeUndefined();
    const result = await suite.graphql<{ me: Record<string, unknown> }>(
      '{ me { id email emailVerified username displayName organizations { slug members { role user { username } } } } }',
      { token },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.me).toEqual({
      id: user.id,
      email: 'user@example.com',
      emailVerified: true,
      username: 'user',
      displayName: null,
      organizations: [{ slug: 'acme-federation', members: [{ role: 'OWNER', user: { username: 'user' } }] }],
    });
  });

  it('hides another user\'s email and organizations', async () => {
    const { token } = await suite.devToken('admin@example.com');
    // The admin belongs to an organization, so an empty list below can only come from the guard.
    const joined = await suite.graphql('mutation { createOrganization(name: "Admins", slug: "admins-privacy") { slug } }', { token });
    expect(joined.errors).toBeUndefined();
    const own = await suite.graphql<{ me: { organizations: { slug: string }[] } }>('{ me { organizations { slug } } }', { token });
    expect(own.data?.me.organizations).toEqual([{ slug: 'admins-privacy' }]);
    const viewer = await suite.devToken('user@example.com');
    const result = await suite.graphql<{ user: Record<string, unknown> }>('{ user(username: "admin") { username email organizations { slug } } }', {
      token: viewer.token,
    });
    expect(result.errors).toBeUndefined();
    expect(result.data?.user).toEqual({ username: 'admin', email: null, organizations: [] });
    // The admin sees emails (roles travel in the internal token).
    const asAdmin = await suite.graphql<{ user: Record<string, unknown> }>('{ user(username: "user") { email } }', { token });
    expect(asAdmin.data?.user).toEqual({ email: 'user@example.com' });
  });

  it('updates the profile through the users subgraph', async () => {
    const { token } = await suite.devToken('user@example.com');
    const result = await suite.graphql('mutation { updateMyProfile(displayName: "Ada Lovelace") { username displayName } }', { token });
    expect(result.data).toEqual({ updateMyProfile: { username: 'user', displayName: 'Ada Lovelace' } });
    const tooLong = await suite.graphql(`mutation { updateMyProfile(displayName: "${'x'.repeat(101)}") { username } }`, { token });
    expect(tooLong.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const anonymous = await suite.graphql('mutation { updateMyProfile(displayName: "x") { username } }');
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('forwards the request id it is given, and mints one otherwise', async () => {
    const forwarded = await fetch(`${suite.gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'trace-abc-123' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(forwarded.headers.get('x-request-id')).toBe('trace-abc-123');
    const minted = await fetch(`${suite.gatewayUrl}/health`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(minted.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('proxies /auth/* and /me to auth so a browser app needs one origin', async () => {
    const issued = await fetch(`${suite.gatewayUrl}/auth/dev/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'user@example.com' }),
    });
    expect(issued.status).toBe(200);
    const { session_token: token } = (await issued.json()) as { session_token: string };
    const me = await fetch(`${suite.gatewayUrl}/me`, { headers: { cookie: `session_token=${token}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ email: 'user@example.com', username: 'user' });

    const logout = await fetch(`${suite.gatewayUrl}/auth/logout`, { method: 'POST', headers: { cookie: `session_token=${token}` } });
    expect(logout.status).toBe(200);
    expect(logout.headers.get('set-cookie')).toMatch(/^session_token=;/);
  });

  it('proxies SCIM discovery to the scim service', async () => {
    const result = await fetch(`${suite.gatewayUrl}/scim/v2/ServiceProviderConfig`);
    expect(result.status).toBe(200);
    expect(result.headers.get('content-type')).toMatch(/application\/scim\+json/);
  });
});
