import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startGatewayTestInstance, type GatewayTestInstance } from './gateway-test-instance';
import { clientFrom, type LoopbackAnswer } from './loopback-client';
import { watchRedisCommands } from './redis-command-log';

/**
 * The /graphql limit counted in Redis and spent from leases, on two real gateway processes
 * sharing the run's Redis. Redis commands are counted with MONITOR, per client key, so other
 * test files using the same Redis do not disturb the counts.
 */

const POINTS = 100;
// The lease cap the gateway derives from the limit (max(1, floor(points / 20))).
const CAP = 5;
const KEY_PREFIX = 'malet:gateway:graphql';
// Clients of this file only: their counters are cleared before the suite starts.
const CLIENTS = { inside: '127.0.40.1', spread: '127.0.40.2', trips: '127.0.40.3', refused: '127.0.40.4' };

let suite: GatewayTestInstance;
let token: string;
let redis: Awaited<ReturnType<typeof watchRedisCommands>>;
const keyOf = (address: string) => `${KEY_PREFIX}:${address}`;

beforeAll(async () => {
  const redisUrl = inject('redisUrl');
  const control = new Redis(redisUrl);
  await control.del(...Object.values(CLIENTS).map(keyOf));
  control.disconnect();
  redis = await watchRedisCommands(redisUrl);
  suite = await startGatewayTestInstance({
    gateways: 2,
    env: { gateway: { GRAPHQL_RATE_LIMIT: String(POINTS), GRAPHQL_RATE_LIMIT_WINDOW_SECONDS: '600' } },
  });
  ({ token } = await suite.devToken('user@example.com'));
});
afterAll(async () => {
  await suite?.stop();
  redis?.stop();
});

function graphqlFrom(address: string, gateway = 0): Promise<LoopbackAnswer> {
  return clientFrom(address)(`${suite.gatewayUrls[gateway]!}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: '{ __typename }' }),
  });
}

const expectRateLimited = (answer: LoopbackAnswer) => {
  const extensions = (answer.body?.errors as { extensions: Record<string, unknown> }[] | undefined)?.[0]?.extensions;
  expect({ status: answer.status, ...extensions }).toMatchObject({ status: 429, code: 'RATE_LIMITED', reason: 'rate_limit:exceeded' });
  const retryAfter = Number(answer.headers['retry-after']);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(600);
};

describe('the /graphql limit spent from leases of a Redis counter', () => {
  it(`one client on one gateway: ${POINTS} requests answered, the next refused with 429 and Retry-After`, async () => {
    for (let n = 0; n < POINTS; n += 1) expect((await graphqlFrom(CLIENTS.inside)).status).toBe(200);
    expectRateLimited(await graphqlFrom(CLIENTS.inside));
  });

  it(`one client alternating between two gateways: never more than ${POINTS} answers in the window, at least ${POINTS} − (cap − 1)`, async () => {
    const statuses: number[] = [];
    for (let n = 0; n < POINTS + 30; n += 1) statuses.push((await graphqlFrom(CLIENTS.spread, n % 2)).status);
    const admitted = statuses.filter((status) => status === 200).length;
    expect(statuses.filter((status) => status !== 200 && status !== 429)).toEqual([]);
    expect(admitted).toBeLessThanOrEqual(POINTS);
    expect(admitted).toBeGreaterThanOrEqual(POINTS - (CAP - 1));
    // Both gateways refuse once the window's quota is gone.
    expectRateLimited(await graphqlFrom(CLIENTS.spread, 0));
    expectRateLimited(await graphqlFrom(CLIENTS.spread, 1));
  });

  it('N requests of one client cost one Redis round trip per lease (doubling up to the cap), far fewer than N', async () => {
    const requests = 60;
    const start = await redis.mark();
    for (let n = 0; n < requests; n += 1) expect((await graphqlFrom(CLIENTS.trips)).status).toBe(200);
    const count = await redis.commandsOn(keyOf(CLIENTS.trips), start);
    // Leases of 1, 2, 4, then CAP each: ceil(log2(CAP)) + ceil(requests / CAP) at most, plus one
    // for the script's first load (EVALSHA answered NOSCRIPT, then EVAL).
    const bound = Math.ceil(Math.log2(CAP)) + Math.ceil(requests / CAP) + 1;
    expect(count).toBeGreaterThan(0);
    expect(count).toBeLessThanOrEqual(bound);
    expect(bound).toBeLessThan(requests / 3);
  });

  it('a refused client costs no Redis command while its window lasts, on either gateway', async () => {
    // Spend the window's quota until each gateway has refused once (each has then spent its
    // leased points and learnt from Redis that the quota is gone).
    const refusedBy = new Set<number>();
    for (let n = 0; refusedBy.size < 2 && n < POINTS + 2 * CAP; n += 1) {
      if ((await graphqlFrom(CLIENTS.refused, n % 2)).status === 429) refusedBy.add(n % 2);
    }
    expect([...refusedBy].sort()).toEqual([0, 1]);
    const start = await redis.mark();
    for (let n = 0; n < 40; n += 1) expectRateLimited(await graphqlFrom(CLIENTS.refused, n % 2));
    expect(await redis.commandsOn(keyOf(CLIENTS.refused), start)).toBe(0);
  });
});
