import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { SESSION_REVOCATION_CHANNEL, decodeRevocation, hashToken } from '@malet/session-client';

/**
 * Listens on the run's Redis where auth publishes revoked token hashes, as every gateway process
 * does. Proves that a revocation was published by waiting on the real message; how fast it
 * arrives is not a test's business (`pnpm bench revocation` measures that).
 */
export async function listenForRevocations(redisUrl: string = inject('redisUrl')) {
  const subscriber = new Redis(redisUrl);
  const heard = new Set<string>();
  const waiting = new Map<string, Array<() => void>>();
  subscriber.on('message', (_channel: string, message: string) => {
    for (const hash of decodeRevocation(message)) {
      heard.add(hash);
      for (const wake of waiting.get(hash) ?? []) wake();
      waiting.delete(hash);
    }
  });
  await subscriber.subscribe(SESSION_REVOCATION_CHANNEL);

  return {
    /**
     * Resolves once the revocation of `token` has been published (now or earlier). The hang guard
     * only turns a message that never comes into a clear failure before the test's own timeout;
     * it is no time bound.
     */
    published(token: string, hangGuardMs = 30_000): Promise<void> {
      const hash = hashToken(token);
      if (heard.has(hash)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const guard = setTimeout(() => reject(new Error(`no revocation of ${hash} was published on ${SESSION_REVOCATION_CHANNEL}`)), hangGuardMs);
        waiting.set(hash, [
          ...(waiting.get(hash) ?? []),
          () => {
            clearTimeout(guard);
            resolve();
          },
        ]);
      });
    },

    stop: () => subscriber.disconnect(),
  };
}

export type RevocationListener = Awaited<ReturnType<typeof listenForRevocations>>;
