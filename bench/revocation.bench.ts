/**
 * "Logout is seen by every gateway process within one second", measured rather than asserted,
 * both ways the suite runs: with Redis (auth publishes on Redis and the revocation stream both
 * carry it; whichever arrives first evicts) and without (the embedded default: auth's stream
 * from PostgreSQL NOTIFY alone). Two gateway processes with warm caches and a 10-minute cache
 * TTL (so only an eviction can end a cached session), a logout at auth, then both gateways
 * polled until they refuse the token. The time from the logout's answer to the second refusal
 * is the propagation delay (it includes up to one poll interval).
 */
import { startTestPostgres, startTestRedis, waitFor } from '@malet/testing';
import { startSuite } from '../test/support/suite';
import type { BenchSection } from './lib';

const ROUNDS = 30;
const POLL_MS = 5;
const GIVE_UP_MS = 10_000;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function measure(options: { postgresAdminUrl: string; redisUrl: string | undefined }): Promise<number[]> {
  const suite = await startSuite({
    postgresAdminUrl: options.postgresAdminUrl,
    redisUrl: options.redisUrl,
    redis: options.redisUrl !== undefined,
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

    // Until the stream is live a gateway trusts no cached answer: it would measure auth, not eviction.
    for (const url of suite.gatewayUrls) {
      await waitFor(async () => ((await (await fetch(`${url}/admin/metrics`)).json()) as { revocations: { stream: string } }).revocations.stream === 'live', {
        timeoutMs: 60_000,
        what: `the revocation stream at ${url}`,
      });
    }
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
    return delays;
  } finally {
    await suite.stop();
  }
}

function row(name: string, delays: number[]) {
  const sorted = [...delays].sort((a, b) => a - b);
  return {
    name: `${name}: logout → refused at 2 gateways (${delays.length} rounds)`,
    rps: 0, // a latency measurement: no throughput
    p50Ms: Math.round(percentile(sorted, 50)),
    p99Ms: Math.round(percentile(sorted, 99)),
    extra: { 'max ms': Math.round(sorted.at(-1)!), 'within 1 s': `${delays.filter((delay) => delay <= 1_000).length}/${delays.length}` },
  };
}

export async function run(): Promise<BenchSection> {
  const [postgres, redis] = [await startTestPostgres(), await startTestRedis()];
  try {
    const withRedis = await measure({ postgresAdminUrl: postgres.adminUrl, redisUrl: redis.url });
    const withoutRedis = await measure({ postgresAdminUrl: postgres.adminUrl, redisUrl: undefined });
    const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 50);
    return {
      title: 'Session revocation: logout at auth until both gateways refuse the token',
      rows: [row('with Redis (pub/sub + stream)', withRedis), row('without Redis (stream only)', withoutRedis)],
      ratios: [{ name: 'median delay without Redis / with Redis', value: median(withoutRedis) / Math.max(median(withRedis), 1) }],
      notes: [`polled every ${POLL_MS} ms; the cache TTL is 10 minutes, so only an eviction ends a cached session`],
    };
  } finally {
    await redis.stop();
    await postgres.stop();
  }
}
