import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * A Redis client for state that has a local fallback (rate-limit counters, revocation
 * broadcasts). ioredis by default queues commands while disconnected and fails them only after
 * several reconnection attempts, seconds later: every request touching Redis would wait that
 * long during an outage. Here a command fails at once while Redis is away (no offline queue)
 * or after `commandTimeoutMs` when it hangs, so callers fall back immediately; the client keeps
 * reconnecting in the background, and logs once when Redis goes and once when it returns,
 * naming what the caller does meanwhile (`whileAway`).
 */
export function createRedisClient(url: string, options: { logger: Logger; whileAway: string; commandTimeoutMs?: number }): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs ?? 1_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  let state: 'connecting' | 'up' | 'away' = 'connecting';
  redis.on('ready', () => {
    // At the warning's level, so whoever saw it going also sees it coming back.
    if (state === 'away') options.logger.warn('Redis reachable again');
    state = 'up';
  });
  redis.on('close', () => {
    if (state === 'up') options.logger.warn(`Redis unreachable: ${options.whileAway} until it returns`);
    if (state !== 'connecting') state = 'away';
  });
  // Connection errors repeat on every retry; the close/ready pair above already says what matters.
  redis.on('error', (error) => options.logger.debug({ err: error }, 'redis connection error'));
  return redis;
}
