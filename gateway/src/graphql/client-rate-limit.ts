import type { NextFunction, Request, Response } from 'express';
import { Redis } from 'ioredis';
import ipaddr from 'ipaddr.js';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { RateLimitedError } from '@malet/errors';
import type { Logger } from '@malet/logging';

/**
 * The limiter key of a client address: IPv6 is grouped by its /64 (one subscriber's allocation),
 * so rotating addresses inside a prefix shares one budget.
 */
export function clientLimiterKey(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  return `${(parsed as ipaddr.IPv6).toNormalizedString().split(':').slice(0, 4).join(':')}::/64`;
}

/**
 * Requests per client on `/graphql` (GRAPHQL_RATE_LIMIT per GRAPHQL_RATE_LIMIT_WINDOW_SECONDS),
 * counted under the address the gateway determined (http/client-address.ts), before the body is
 * read. Counters live in Redis when configured, so every gateway process shares them; while
 * Redis is away each process counts in memory (rate-limiter-flexible's insurance limiter), so
 * the limit holds per process rather than lapsing.
 */
export function createClientRateLimit(options: { points: number; windowSeconds: number; redisUrl?: string; logger: Logger }) {
  const memory = new RateLimiterMemory({ points: options.points, duration: options.windowSeconds, keyPrefix: 'graphql' });
  let redis: Redis | undefined;
  let limiter: RateLimiterAbstract = memory;
  if (options.redisUrl) {
    redis = new Redis(options.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    redis.on('error', (error: Error) => options.logger.warn({ err: error }, 'rate-limit store error; counting in memory meanwhile'));
    limiter = new RateLimiterRedis({
      storeClient: redis,
      points: options.points,
      duration: options.windowSeconds,
      keyPrefix: 'malet:gateway:graphql',
      insuranceLimiter: memory,
    });
  }

  return {
    middleware: function limitGraphqlPerClient(req: Request, _res: Response, next: NextFunction): void {
      limiter.consume(clientLimiterKey(req.clientAddress.address)).then(
        () => next(),
        (rejection: unknown) => {
          if (rejection instanceof RateLimiterRes) next(new RateLimitedError(rejection.msBeforeNext / 1000));
          else next(rejection);
        },
      );
    },
    close: async () => {
      await redis?.quit().catch(() => undefined);
    },
  };
}
