/**
 * Issue 2's "logout is seen by every gateway process within one second", measured rather than
 * asserted: two gateway processes with warm caches (and a 10-minute cache TTL, so only the
 * Redis eviction can end a cached session), a logout at auth, then both gateways polled until
 * they refuse the token. The time from the logout's answer to the second refusal is the
 * propagation delay (it includes up to one poll interval).
 */
import { startTestPostgres, startTestRedis } from '@malet/testing';
import { startSuite } from '../test/support/suite';
import type { BenchSection } from './lib';

const ROUNDS = 30;
const POLL_MS = 5;
const GIVE_UP_MS = 10_000;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

export async function run(): Promise<BenchSection> {
  const [postgres, redis] = [await startTestPostgres(), await startTestRedis()];
  const suite = await startSuite({
    postgresAdminUrl: postgres.adminUrl,
    redisUrl: redis.url,
    logLevel: 'warn',
    gateways: 2,
    env: { gateway: { SESSION_CACHE_TTL_MS: '600000' } },
  });
  try {
    const refused = async (url: string, token: string) =>
      (await suite.graphql('{ me { id } }', { token, url })).errors?.[0]?.extensions?.code === 'UNAUTHENTICATED';
    /** Milliseconds from `since` until `url` refuses `token`; Infinity past GIVE_UP_MS. */
    const refusedAfter = async (url: string, token: string, since: number) => {
      while (performance.now() - since < GIVE_UP_MS) {
        if (await refused(url, token)) return performance.now() - since;
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      return Number.POSITIVE_INFINITY;
    };

    const delays: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const { token } = await suite.devToken('user@example.com');
      for (const url of suite.gatewayUrls) {
        if (await refused(url, token)) throw new Error('a fresh session was refused');
      }
      const logout = await fetch(`${suite.urls.auth}/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      if (logout.status !== 200) throw new Error(`logout answered ${logout.status}`);
      const since = performance.now();
      const perGateway = await Promise.all(suite.gatewayUrls.map((url) => refusedAfter(url, token, since)));
      delays.push(Math.max(...perGateway));
    }
    const sorted = [...delays].sort((a, b) => a - b);
    const withinOneSecond = delays.filter((delay) => delay <= 1_000).length;
    return {
      title: 'Session revocation: logout at auth until both gateways refuse the token',
      rows: [
        {
          name: `logout → refused at 2 gateways (${ROUNDS} rounds)`,
          rps: 0, // a latency measurement: no throughput
          p50Ms: Math.round(percentile(sorted, 50)),
          p99Ms: Math.round(percentile(sorted, 99)),
          extra: { 'max ms': Math.round(sorted.at(-1)!), 'within 1 s': `${withinOneSecond}/${ROUNDS}` },
        },
      ],
      notes: [`polled every ${POLL_MS} ms; the cache TTL is 10 minutes, so only Redis pub/sub eviction ends a cached session`],
    };
  } finally {
    await suite.stop();
    await redis.stop();
    await postgres.stop();
  }
}
