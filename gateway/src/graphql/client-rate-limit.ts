import { isIPv4 } from 'node:net';
import type { NextFunction, Request, Response } from 'express';
import { Redis } from 'ioredis';
import ipaddr from 'ipaddr.js';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimitedError } from '@malet/errors';
import type { Logger } from '@malet/logging';
import { createRateLeases, LEASE_UNAVAILABLE, type RateDecision } from './client-rate-lease';

/**
 * The limiter key of a client address: IPv6 is grouped by its /64 (one subscriber's allocation),
 * so rotating addresses inside a prefix shares one budget.
 */
export function clientLimiterKey(address: string): string {
  // A canonical dotted quad (what sockets report) is its own key: no parsing on the hot path.
  if (isIPv4(address)) return address;
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  return `${(parsed as ipaddr.IPv6).toNormalizedString().split(':').slice(0, 4).join(':')}::/64`;
}

/**
 * Requests per client on `/graphql` (GRAPHQL_RATE_LIMIT per GRAPHQL_RATE_LIMIT_WINDOW_SECONDS),
 * counted under the address the gateway determined (http/client-address.ts), before the body is
 * read.
 *
 * With Redis, a fixed window per client is counted there, and each process spends it from leases
 * (client-rate-lease.ts): a client's first request in a window leases 1 point, each further lease
 * doubles up to points / 20. One request costs one point; a busy client costs one Redis round
 * trip per lease instead of one per request, and a refused one none until its window ends. The
 * quota is reserved in Redis before it is spent, so all processes together never admit more than
 * the limit; the price is that points one process holds are unusable by the others, so a client
 * spread over P processes (gateways × workers) may be refused up to (cap − 1) × (P − 1) requests
 * early.
 *
 * While Redis is away each process counts in memory, so the limit holds per process rather than
 * lapsing, and goes back to Redis once it answers again.
 */
export function createClientRateLimit(options: { points: number; windowSeconds: number; redisUrl?: string; logger: Logger }) {
  const { logger } = options;
  const memory = new RateLimiterMemory({ points: options.points, duration: options.windowSeconds, keyPrefix: 'graphql' });
  let redis: Redis | undefined;
  let leases: ReturnType<typeof createRateLeases> | undefined;
  if (options.redisUrl) {
    redis = new Redis(options.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    redis.on('error', (error: Error) => logger.warn({ err: error }, 'rate-limit store error; counting in memory meanwhile'));
    leases = createRateLeases({ redis, points: options.points, windowSeconds: options.windowSeconds, keyPrefix: 'malet:gateway:graphql' });
  }

  let countingInMemory = false;
  const countInMemory = (key: string, next: NextFunction) => {
    if (leases && !countingInMemory) logger.warn('rate-limit store unavailable; counting /graphql requests in memory meanwhile');
    countingInMemory = true;
    memory.consume(key).then(
      () => next(),
      (rejection: unknown) => {
        if (rejection instanceof RateLimiterRes) next(new RateLimitedError(rejection.msBeforeNext / 1000));
        else next(rejection);
      },
    );
  };
  const settle = (decision: RateDecision, next: NextFunction) => {
    if (decision.admitted) next();
    else next(new RateLimitedError(decision.retryAfterMs / 1000));
  };

  return {
    middleware: function limitGraphqlPerClient(req: Request, _res: Response, next: NextFunction): void {
      const key = clientLimiterKey(req.clientAddress.address);
      if (!leases) return countInMemory(key, next);
      // Most requests are decided from a lease this process already holds, without a round trip.
      const local = leases.spendLocally(key);
      if (local) return settle(local, next);
      leases.take(key).then((decision) => {
        if (decision === LEASE_UNAVAILABLE) return countInMemory(key, next);
        if (countingInMemory) logger.info('rate-limit store answers again; counting /graphql requests there');
        countingInMemory = false;
        settle(decision, next);
      }, next);
    },
    close: async () => {
      leases?.close();
      await redis?.quit().catch(() => undefined);
    },
  };
}
