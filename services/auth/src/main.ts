import type { Redis } from 'ioredis';
import { applyMigrations, servicePoolOptions } from '@malet/database';
import { serveUntilSignalled } from '@malet/http-server';
import { createLogger } from '@malet/logging';
import { createRedisClient } from '@malet/redis';
import { createAuthApp } from './app';
import { loadAuthConfig } from './config';
import { createAuthDatabase, migrationsFolder } from './core/db';

const config = loadAuthConfig();
const logger = createLogger({ service: 'auth', level: config.logLevel });
const database = createAuthDatabase(config.databaseUrl, servicePoolOptions({ logger, preparedStatements: config.databasePreparedStatements }));
await applyMigrations(database.pool, migrationsFolder);

let redis: Redis | null = null;
if (config.redisUrl) {
  // Fails commands at once while Redis is away, so no request waits on it (limits fall back to
  // this process's memory; revocations still reach gateways through their own channel).
  redis = createRedisClient(config.redisUrl, { logger, whileAway: 'rate limits count in this process and revocations are not broadcast' });
} else {
  logger.warn('REDIS_URL not set: revocations are not broadcast to other processes, and rate limits count per process (memory store)');
}

const auth = await createAuthApp({ config, logger, db: database.db, ping: database.ping, redis });
await auth.start();

await serveUntilSignalled(auth.app, {
  service: 'auth',
  http: config.http,
  logger,
  onClose: async () => {
    await auth.close();
    await redis?.quit();
    await database.close();
  },
  details: { devMode: config.dev.enabled },
});
