import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayTestInstance, type GatewayTestInstance } from './gateway-test-instance';

let suite: GatewayTestInstance;
beforeAll(async () => {
  suite = await startGatewayTestInstance({ env: { gateway: { SESSION_CACHE_TTL_MS: '0' } } });
});
afterAll(() => suite?.stop());

describe('when auth is down the gateway fails closed', () => {
  it('answers 503 SERVICE_UNAVAILABLE for a credential it cannot vouch for, never anonymous data', async () => {
    const { token } = await suite.devToken('user@example.com');
    expect((await suite.graphql('{ me { id } }', { token })).errors).toBeUndefined();
    await suite.processes.find((process) => process.name === 'auth')!.stop();

    const result = await suite.graphql('{ __typename }', { token });
    expect(result.status).toBe(503);
    expect(result.data).toBeUndefined();
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', reason: 'auth:unavailable' });

    const proxied = await fetch(`${suite.gatewayUrl}/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(proxied.status).toBe(502);
    expect(await proxied.json()).toMatchObject({ status: 502, code: 'gateway:upstream_unavailable' });
  });
});
