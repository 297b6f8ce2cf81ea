import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { platformErrors } from '../errors/core.errors';

export interface LimitRule {
  /** Distinguishes counters in the shared store, e.g. `signin:ip`. */
  name: string;
  points: number;
  durationSeconds: number;
  /** Once exceeded, stay blocked this long (defaults to the window). */
  blockSeconds?: number;
}

/**
 * Fixed-window limits on rate-limiter-flexible: Redis when configured (shared by every replica,
 * counted atomically by Redis), process memory otherwise.
 */
export function createRateLimiters(redis: Redis | null, settings: { keyPrefix?: string } = {}) {
  const limiters = new Map<string, RateLimiterAbstract>();
  const prefix = settings.keyPrefix ?? 'malet:rl';

  function limiterFor(rule: LimitRule): RateLimiterAbstract {
    let limiter = limiters.get(rule.name);
    if (!limiter) {
      const options = {
        keyPrefix: `${prefix}:${rule.name}`,
        points: rule.points,
        duration: rule.durationSeconds,
        blockDuration: rule.blockSeconds ?? 0,
      };
      limiter = redis
        ? new RateLimiterRedis({
            storeClient: redis,
            useRedisPackage: false,
            // While Redis is unreachable each process keeps counting on its own rather than
            // failing every auth request or letting them all through.
            insuranceLimiter: new RateLimiterMemory(options),
            ...options,
          })
        : new RateLimiterMemory(options);
      limiters.set(rule.name, limiter);
    }
    return limiter;
  }

  return {
    /** Counts one attempt for `key`; throws a 429 `rate_limit:exceeded` (with Retry-After) past the limit. */
    async consume(rule: LimitRule, key: string, points = 1): Promise<void> {
      try {
        await limiterFor(rule).consume(key, points);
      } catch (error) {
        if (error instanceof RateLimiterRes) throw platformErrors.rateLimited(error.msBeforeNext / 1000);
        throw error;
      }
    },
    /** Forgets the counter, e.g. after a successful sign-in. */
    async reset(rule: LimitRule, key: string): Promise<void> {
      await limiterFor(rule).delete(key);
    },
  };
}

export type RateLimiters = ReturnType<typeof createRateLimiters>;
