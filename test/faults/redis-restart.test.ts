import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRedis, waitFor, type TestRedis } from '@malet/testing';
import { expectNoOutboxEventLost } from '../support/outbox-check';
import { recordsBetween } from '../support/load';
import { expectAllOk, startFaultSuite, type FaultSuite } from './fault-suite';

/**
 * Auth keeps serving through a Redis outage because its Redis client fails fast
 * (`createRedisClient` from @malet/redis): ioredis's default client queues every command for
 * seconds while Redis is away, so each auth request would wait that long.
 */
let redis: TestRedis;
let redisPort: number;
let faults: FaultSuite;
beforeAll(async () => {
  // A Redis of its own: this test kills it.
  redis = await startTestRedis({ port: undefined });
  redisPort = Number(new URL(redis.url).port);
  // A ten-minute credential cache: only eviction, or distrust while deaf, can end a session at the gateway.
  faults = await startFaultSuite({ redisUrl: redis.url, env: { gateway: { SESSION_CACHE_TTL_MS: '600000' } } });
}, 240_000);
afterAll(async () => {
  await faults?.stop();
  await redis?.stop();
});
const revocationChannel = async (gatewayUrl: string) =>
  ((await (await fetch(`${gatewayUrl}/admin/metrics`)).json()) as { cache: { auth: { revocations: string } } }).cache.auth.revocations;

describe('under load: Redis killed and restarted', () => {
  it('auth keeps serving, limits fall back to per-process and still hold, revocations still end sessions at the gateway, no outbox event is lost', async () => {
    const { suite, operations } = faults;
    const me = async (token: string) => (await suite.graphql<{ me: { id: string } | null }>('{ me { id } }', { token })).errors?.[0]?.extensions?.code ?? 'ok';
    const revokedWhileDown = (await suite.devToken('admin@example.com')).token;
    expect(await me(revokedWhileDown)).toBe('ok');
    expect(await revocationChannel(suite.gatewayUrl)).toBe('live');

    const load = faults.startLoad();
    await load.waitForRequests(40);

    await redis.stop();
    const killedAt = Date.now();
    await waitFor(async () => (await revocationChannel(suite.gatewayUrl)) === 'lost', { timeoutMs: 20_000, what: 'the gateway to notice' });
    await load.waitForRequests(60);

    // Rate limits fall back to each process's memory and still hold: 3 sign-ups per IP per 10 s.
    const fromOneIp = async (n: number) =>
      (
        await fetch(`${suite.gatewayUrl}/auth/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.99' },
          body: JSON.stringify({ email: `limit-${n}-${Date.now()}@example.com`, password: 'limit-test-passphrase-1' }),
        })
      ).status;
    const statuses = [];
    for (let n = 0; n < 4; n += 1) statuses.push(await fromOneIp(n));
    expect(statuses).toEqual([201, 201, 201, 429]);

    // A logout while Redis is down cannot be broadcast; the gateway, knowing it is deaf, asks auth.
    const logout = await fetch(`${suite.urls.auth}/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${revokedWhileDown}` } });
    expect(logout.status).toBe(200);
    expect(await me(revokedWhileDown)).toBe('UNAUTHENTICATED');

    redis = await startTestRedis({ port: redisPort });
    const backAt = Date.now();
    // Both ends back: auth publishing again, the gateway subscribed past its grace period.
    await waitFor(() => suite.process('auth').output().includes('Redis reachable again'), { timeoutMs: 30_000, what: 'auth to reconnect' });
    await waitFor(async () => (await revocationChannel(suite.gatewayUrl)) === 'live', { timeoutMs: 30_000, what: 'the revocation channel to return' });
    // With the channel live again, a cached session is trusted, and ended by the broadcast eviction.
    const revokedAfter = (await suite.devToken('admin@example.com')).token;
    expect(await me(revokedAfter)).toBe('ok');
    expect(await me(revokedAfter)).toBe('ok');
    await fetch(`${suite.urls.auth}/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${revokedAfter}` } });
    await waitFor(async () => (await me(revokedAfter)) === 'UNAUTHENTICATED', { timeoutMs: 10_000, what: 'the eviction to reach the gateway' });

    await load.waitForRequests(40, 120_000);
    const records = await load.stop();
    // Auth kept serving through the outage: every request of the load succeeded, during it and overall.
    expectAllOk(recordsBetween(records, killedAt, backAt));
    expectAllOk(records);
    // Both processes said what happened.
    expect(suite.process('auth').output()).toContain('Redis unreachable: rate limits count in this process');
    expect(suite.process('gateway-0').output()).toContain('revocation channel lost');

    await expectNoOutboxEventLost(suite.databaseUrls, operations.signedUp);
  }, 300_000);
});
