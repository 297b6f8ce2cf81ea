import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInternalTokenSigner } from '@malet/internal-auth';
import { startGatewayTestInstance, type GatewayTestInstance } from './gateway-test-instance';

let suite: GatewayTestInstance;
beforeAll(async () => {
  suite = await startGatewayTestInstance();
});
afterAll(() => suite?.stop());

const subgraphServices = ['auth', 'users', 'organizations'];

describe('subgraphs and internal endpoints trust only the internal token', () => {
  it('rejects a direct subgraph call that forges x-user-id, with 401 in the error shape', async () => {
    const { user } = await suite.devToken('user@example.com');
    for (const name of subgraphServices) {
      const response = await fetch(`${suite.urls[name]}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-user-id': user.id, 'x-user-email': 'user@example.com' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(response.status, name).toBe(401);
      expect(await response.json()).toMatchObject({ status: 401, code: 'internal:token_missing' });
    }
  });

  it('rejects internal tokens signed with another secret, expired, or for another audience', async () => {
    const { user } = await suite.devToken('user@example.com');
    const claims = { userId: user.id, email: 'user@example.com', sessionId: null, orgId: null, roles: ['admin'], amr: [] };
    const forged = await createInternalTokenSigner({ secret: 'x'.repeat(64), issuer: 'gateway' })(claims);
    const expired = await createInternalTokenSigner({ secret: suite.internalTokenSecret, issuer: 'gateway', ttlSeconds: -10 })(claims);
    for (const token of [forged, expired, 'not-a-jwt']) {
      for (const name of subgraphServices) {
        const response = await fetch(`${suite.urls[name]}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-internal-token': token },
          body: JSON.stringify({ query: '{ __typename }' }),
        });
        expect(response.status, name).toBe(401);
        expect(await response.json()).toMatchObject({ code: 'internal:token_invalid' });
      }
    }
  });

  it('guards internal REST endpoints the same way', async () => {
    const { user } = await suite.devToken('user@example.com');
    const internal = [
      `${suite.urls.users}/internal/users/${user.id}`,
      `${suite.urls.organizations}/internal/users/${user.id}/memberships`,
      `${suite.urls.scim}/internal/stats`,
    ];
    for (const url of internal) {
      const response = await fetch(url, { headers: { 'x-user-id': user.id } });
      expect(response.status, url).toBe(401);
    }
    const event = await fetch(`${suite.urls.users}/internal/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: crypto.randomUUID(), topic: 'user.created', payload: {}, created_at: new Date().toISOString() }),
    });
    expect(event.status).toBe(401);
  });

  it('accepts a correctly signed token: the boundary is the signature, not the network', async () => {
    const { user } = await suite.devToken('user@example.com');
    const token = await createInternalTokenSigner({ secret: suite.internalTokenSecret, issuer: 'gateway' })({
      userId: user.id,
      email: 'user@example.com',
      sessionId: null,
      orgId: null,
      roles: [],
      amr: [],
    });
    const response = await fetch(`${suite.urls.auth}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-internal-token': token },
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    expect(await response.json()).toEqual({ data: { me: { id: user.id } } });
  });

  it('never lets a client smuggle an internal token through the gateway', async () => {
    const { user } = await suite.devToken('admin@example.com');
    const token = await createInternalTokenSigner({ secret: suite.internalTokenSecret, issuer: 'gateway' })({
      userId: user.id,
      email: 'admin@example.com',
      sessionId: null,
      orgId: null,
      roles: ['admin'],
      amr: [],
    });
    // Even a valid internal token sent by a client is ignored: the gateway signs its own.
    const result = await suite.graphql('{ me { id } }', { headers: { 'x-internal-token': token, 'x-user-id': user.id } });
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const proxied = await fetch(`${suite.gatewayUrl}/me`, { headers: { 'x-internal-token': token, 'x-user-id': user.id } });
    expect(proxied.status).toBe(401);
  });
});
