import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { applyMigrations } from '@malet/database';
import { startHttpServer } from '@malet/http-server';
import { createLogger } from '@malet/logging';
import { createTestDatabase } from '@malet/testing';
import { createAuthApp } from '../src/app';
import { loadAuthConfig } from '../src/config';
import { createAuthDatabase, migrationsFolder } from '../src/core/db';
import type { Clock } from '../src/core/clock';

/** A clock tests can move forward. */
export function createTestClock(start = Date.now()): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => new Date(now), advance: (ms) => (now += ms) };
}

/**
 * The auth service on a fresh database of the run's real PostgreSQL, with the run's real Redis,
 * listening on a free loopback port. One factory for every auth test (STYLE: tests).
 */
export async function startAuthTestInstance(
  options: { env?: Record<string, string>; clock?: Clock; redis?: boolean; /** A fixed port, for tests whose PUBLIC_URL must be the real origin. */ port?: number } = {},
) {
  const database = await createTestDatabase(inject('postgresAdminUrl'), 'auth');
  const redisUrl = options.redis === false ? undefined : inject('redisUrl');
  const config = loadAuthConfig({
    DATABASE_URL: database.url,
    DEV_MODE: 'true',
    COOKIE_SECURE: 'false',
    LOG_LEVEL: 'silent',
    PORT: '0',
    // No users service in these tests: profile look-ups fail fast on a closed port.
    USERS_URL: 'http://127.0.0.1:9',
    // Limits are off unless a test turns them on (RATE_LIMITS_ENABLED: 'true'); counters of
    // parallel instances sharing the run's Redis never mix.
    RATE_LIMITS_ENABLED: 'false',
    RATE_LIMIT_KEY_PREFIX: `test:${randomUUID()}`,
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    ...options.env,
  });
  const logger = createLogger({ service: 'auth', level: 'silent' });
  const pool = createAuthDatabase(config.databaseUrl);
  await applyMigrations(pool.pool, migrationsFolder);
  const redis = config.redisUrl ? new Redis(config.redisUrl) : null;
  const auth = await createAuthApp({ config, logger, db: pool.db, ping: pool.ping, redis, clock: options.clock });
  const server = await startHttpServer(auth.app, { port: options.port ?? 0, host: '127.0.0.1', logger });
  return {
    ...auth,
    config,
    url: server.url,
    db: pool.db,
    pool: pool.pool,
    async stop() {
      await server.close();
      await auth.close();
      redis?.disconnect();
      await pool.close();
      await database.drop();
    },
  };
}

export type AuthTestInstance = Awaited<ReturnType<typeof startAuthTestInstance>>;

export async function issueDevToken(url: string, email: string) {
  const response = await fetch(`${url}/auth/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> & { session_token: string } };
}
