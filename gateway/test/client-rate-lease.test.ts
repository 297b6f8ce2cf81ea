import type { NextFunction, Request, Response } from 'express';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '@malet/logging';
import { freePort, startTestRedis, waitFor, type TestRedis } from '@malet/testing';
import { createRateLeases, LEASE_UNAVAILABLE } from '../src/graphql/client-rate-lease';
import { createClientRateLimit } from '../src/graphql/client-rate-limit';
import { watchRedisCommands } from './redis-command-log';

/**
 * The lease ledger of the /graphql limit against the run's real Redis, several ledgers standing
 * for several gateway processes, each with its own connection.
 */

const redisUrl = inject('redisUrl');
const KEY_PREFIX = `malet:test:rate-lease:${process.pid}`;
const opened: { close: () => void; redis: Redis }[] = [];
const ledger = (options: { points: number; windowSeconds?: number; maxClients?: number }) => {
  const redis = new Redis(redisUrl);
  const leases = createRateLeases({ redis, windowSeconds: 600, keyPrefix: KEY_PREFIX, ...options });
  opened.push({ close: leases.close, redis });
  return leases;
};
afterAll(() => {
  for (const { close, redis } of opened) {
    close();
    redis.disconnect();
  }
});

describe('leases of a Redis window counter', () => {
  it('six processes taking one client\'s requests all at once admit at most the limit, and at least the limit less the stranded leases', async () => {
    const points = 50;
    const cap = 2; // max(1, floor(50 / 20))
    const processes = Array.from({ length: 6 }, () => ledger({ points }));
    const decisions = await Promise.all(Array.from({ length: 400 }, (_, n) => processes[n % processes.length]!.take('burst')));
    const admitted = decisions.filter((decision) => decision !== LEASE_UNAVAILABLE && decision.admitted).length;
    expect(decisions).not.toContain(LEASE_UNAVAILABLE);
    expect(admitted).toBeLessThanOrEqual(points);
    expect(admitted).toBeGreaterThanOrEqual(points - (cap - 1) * (processes.length - 1));
  });

  it('concurrent requests of one client in one process share each lease request: one per lease size, not one per request', async () => {
    const commands = await watchRedisCommands(redisUrl);
    try {
      const leases = ledger({ points: 200 }); // cap 10
      const start = await commands.mark();
      const decisions = await Promise.all(Array.from({ length: 100 }, () => leases.take('together')));
      expect(decisions.every((decision) => decision !== LEASE_UNAVAILABLE && decision.admitted)).toBe(true);
      // Leases of 1, 2, 4, 8, then 10: 85 more points need 9; one more for the script's first load.
      expect(await commands.commandsOn(`${KEY_PREFIX}:together`, start)).toBeLessThanOrEqual(4 + 9 + 1);
    } finally {
      commands.stop();
    }
  });

  it('a refused client is refused until its window ends, then admitted again, and ended windows are forgotten', async () => {
    const leases = ledger({ points: 3, windowSeconds: 1 });
    for (let n = 0; n < 3; n += 1) expect(await leases.take('brief')).toEqual({ admitted: true });
    const refused = await leases.take('brief');
    expect(refused).toMatchObject({ admitted: false });
    const retryAfterMs = (refused as { retryAfterMs: number }).retryAfterMs;
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(1_000);
    // Asked again and again (refusals cost no round trip) until Redis's window has ended.
    await waitFor(
      async () => {
        const decision = await leases.take('brief');
        return decision !== LEASE_UNAVAILABLE && decision.admitted;
      },
      { what: 'an admission in the next window' },
    );
    expect(leases.rememberedClients()).toBe(1);
    await waitFor(() => leases.rememberedClients() === 0, { what: 'the ended window swept' });
  });

  it('clients rotating addresses do not grow the local state past its bound', async () => {
    const leases = ledger({ points: 10, maxClients: 100 });
    await Promise.all(Array.from({ length: 300 }, (_, n) => leases.take(`rotating-${n}`)));
    expect(leases.rememberedClients()).toBe(100);
  });
});

describe('the /graphql limit while Redis is away', () => {
  let server: TestRedis;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    server = await startTestRedis({ port });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('counts in memory per process while Redis is down, and in Redis again once it is back', async () => {
    const limit = createClientRateLimit({ points: 3, windowSeconds: 600, redisUrl: server.url, logger: createLogger({ service: 'gateway', level: 'silent' }) });
    /** The middleware's verdict on one request from `address`: passed on, or its error's status. */
    const verdict = (address: string) =>
      new Promise<number | 'next'>((resolve) => {
        const next: NextFunction = (error?: unknown) => resolve(error ? (error as { status: number }).status : 'next');
        limit.middleware({ clientAddress: { address } } as unknown as Request, {} as Response, next);
      });
    // A fresh connection each time: it meets the server that runs now, restarted or not.
    const inRedis = async (address: string) => {
      const probe = new Redis(server.url, { maxRetriesPerRequest: 0 });
      try {
        return (await probe.exists(`malet:gateway:graphql:${address}`)) === 1;
      } finally {
        probe.disconnect();
      }
    };
    try {

    // The limiter's connection is up once a request is counted in Redis.
    await waitFor(async () => (await verdict('192.0.2.1')) === 'next' && (await inRedis('192.0.2.1')), { what: 'Redis counting' });
    expect(await Promise.all([1, 2, 3, 4].map(() => verdict('192.0.2.2')))).toEqual(['next', 'next', 'next', 429]);

    await server.stop();
    expect([await verdict('192.0.2.3'), await verdict('192.0.2.3'), await verdict('192.0.2.3'), await verdict('192.0.2.3')]).toEqual(['next', 'next', 'next', 429]);

    server = await startTestRedis({ port });
    // Requests refused by the memory count meanwhile are fine: this waits for Redis counting again.
    await waitFor(async () => (await verdict('192.0.2.4')) === 'next' && (await inRedis('192.0.2.4')), {
      what: 'counting in Redis again',
      timeoutMs: 20_000,
    });
    } finally {
      await limit.close();
    }
  });
});
