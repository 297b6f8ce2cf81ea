import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { startTestRedis, waitFor, type TestRedis } from '@malet/testing';
import { startSuite, type Suite } from '../../test/support/suite';

let redis: TestRedis;
let suite: Suite;
beforeAll(async () => {
  // A Redis of its own (this test stops it), and a ten-minute credential cache.
  redis = await startTestRedis({ port: undefined });
  suite = await startSuite({
    postgresAdminUrl: inject('postgresAdminUrl'),
    redisUrl: redis.url,
    env: { gateway: { SESSION_CACHE_TTL_MS: '600000' } },
  });
});
afterAll(async () => {
  await suite?.stop();
  await redis?.stop();
});

const channel = async () =>
  ((await (await fetch(`${suite.gatewayUrl}/admin/metrics`)).json()) as { cache: { auth: { revocations: string } } }).cache.auth.revocations;
const me = async (token: string) => (await suite.graphql('{ me { id } }', { token })).errors?.[0]?.extensions?.code ?? 'ok';

describe('the credential cache while the Redis revocation channel is down', () => {
  it('reports the Redis channel lost while Redis is down, a logout still ends a cached session meanwhile, and the channel is live again after a grace period', async () => {
    const { token } = await suite.devToken('user@example.com');
    expect(await me(token)).toBe('ok');
    expect(await channel()).toBe('live');

    await redis.stop();
    await waitFor(async () => (await channel()) === 'lost', { timeoutMs: 20_000, what: 'the gateway to notice' });
    expect(suite.process('gateway-0').output()).toContain('revocation channel lost');
    // Still served while auth says yes (asked every time now) ...
    expect(await me(token)).toBe('ok');
    // ... and refused once auth says no, although no broadcast could be sent and the cache holds it
    // (auth's revocation stream carries the logout: it arrives moments after logout answers).
    const logout = await fetch(`${suite.urls.auth}/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(logout.status).toBe(200);
    await waitFor(async () => (await me(token)) === 'UNAUTHENTICATED', { timeoutMs: 10_000, what: 'the logout to end the cached session' });

    redis = await startTestRedis({ port: Number(new URL(redis.url).port) });
    await waitFor(async () => (await channel()) !== 'lost', { timeoutMs: 20_000, what: 'the channel to return' });
    // Publishers may still be reconnecting: trust waits out the grace period, then returns.
    await waitFor(async () => (await channel()) === 'live', { timeoutMs: 20_000, what: 'the grace period to pass' });
  });
});
