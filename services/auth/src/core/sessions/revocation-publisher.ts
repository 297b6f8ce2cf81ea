import type { Redis } from 'ioredis';
import type { Logger } from '@malet/logging';
import { SESSION_REVOCATION_CHANNEL, encodeRevocation } from '@malet/session-client';
import type { RevocationPublisher } from './session.service';

/**
 * Publishes on Redis when configured. A failed publish is logged, not thrown: the session is
 * already revoked in the database, and gateway caches expire within their TTL cap regardless.
 */
export function createRevocationPublisher(redis: Redis | null, logger: Logger): RevocationPublisher {
  return {
    async publish(tokenHashes) {
      if (!redis || tokenHashes.length === 0) return;
      try {
        await redis.publish(SESSION_REVOCATION_CHANNEL, encodeRevocation(tokenHashes));
      } catch (error) {
        logger.error({ err: error, count: tokenHashes.length }, 'could not publish session revocation');
      }
    },
  };
}
