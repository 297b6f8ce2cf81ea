import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayTestInstance, type GatewayTestInstance } from './gateway-test-instance';

/**
 * Polls `check` until it holds or `withinMs` passes; returns whether it held in time.
 *
 * The bound is generous on purpose: with a 10-minute cache TTL only the Redis eviction can make
 * a gateway refuse a cached token, which is what these tests prove. How fast it happens (the
 * issue's one second) is measured by `pnpm bench revocation`, not asserted on a shared machine.
 */
async function holdsWithin(withinMs: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  do {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  } while (Date.now() < deadline);
  return check();
}

const EVICTION_BOUND_MS = 10_000;

describe('logout reaches every gateway process through Redis pub/sub eviction', () => {
  let suite: GatewayTestInstance;
  beforeAll(async () => {
    // A long cache TTL, so only eviction (not expiry) can make the gateways notice.
    suite = await startGatewayTestInstance({ gateways: 2, env: { gateway: { SESSION_CACHE_TTL_MS: '600000' } } });
  });
  afterAll(() => suite?.stop());

  it('evicts the session from both gateways after a logout sent straight to auth', async () => {
    const { token } = await suite.devToken('user@example.com');
    const me = (url: string) => suite.graphql<{ me: { id: string } | null }>('{ me { id } }', { token, url });
    for (const url of suite.gatewayUrls) {
      // Twice: the second answer comes from the warm cache.
      expect((await me(url)).data?.me?.id).toBeTruthy();
      expect((await me(url)).data?.me?.id).toBeTruthy();
    }
    const logout = await fetch(`${suite.urls.auth}/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(logout.status).toBe(200);

    const rejected = async (url: string) => (await me(url)).errors?.[0]?.extensions?.code === 'UNAUTHENTICATED';
    const results = await Promise.all(suite.gatewayUrls.map((url) => holdsWithin(EVICTION_BOUND_MS, () => rejected(url))));
    expect(results).toEqual([true, true]);
  });

  it('also evicts on refresh (the old token dies) and on session rotation', async () => {
    const { token } = await suite.devToken('user@example.com');
    for (const url of suite.gatewayUrls) expect((await suite.graphql('{ me { id } }', { token, url })).errors).toBeUndefined();
    const refreshed = await fetch(`${suite.urls.auth}/auth/refresh`, { method: 'POST', headers: { cookie: `session_token=${token}` } });
    const { session_token: next } = (await refreshed.json()) as { session_token: string };
    const results = await Promise.all(
      suite.gatewayUrls.map((url) =>
        holdsWithin(EVICTION_BOUND_MS, async () => (await suite.graphql('{ me { id } }', { token, url })).errors?.[0]?.extensions?.code === 'UNAUTHENTICATED'),
      ),
    );
    expect(results).toEqual([true, true]);
    expect((await suite.graphql('{ me { id } }', { token: next })).errors).toBeUndefined();
  });
});

describe('without Redis (the embedded default), a gateway still evicts what it proxies', () => {
  let suite: GatewayTestInstance;
  beforeAll(async () => {
    suite = await startGatewayTestInstance({ redis: false, env: { gateway: { SESSION_CACHE_TTL_MS: '600000' } } });
  });
  afterAll(() => suite?.stop());

  it('rejects the token at once after logout through its own /auth proxy', async () => {
    const { token } = await suite.devToken('user@example.com');
    expect((await suite.graphql('{ me { id } }', { cookie: token })).errors).toBeUndefined();
    const logout = await fetch(`${suite.gatewayUrl}/auth/logout`, { method: 'POST', headers: { cookie: `session_token=${token}` } });
    expect(logout.status).toBe(200);
    const after = await suite.graphql('{ me { id } }', { cookie: token });
    expect(after.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
