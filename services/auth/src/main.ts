import { Redis } from 'ioredis';
import { applyMigrations } from '@malet/database';
import { serveUntilSignalled } from '@malet/http-server';
import { createLogger } from '@malet/logging';
import { createAuthApp } from './app';
import { loadAuthConfig } from './config';
import { createAuthDatabase, migrationsFolder } from './data/db';
import { seedDevIdentities } from './domain/dev-seed';

const config = loadAuthConfig();
const logger = createLogger({ service: 'auth', level: config.logLevel });
const database = createAuthDatabase(config.databaseUrl, (error) => logger.warn({ err: error }, 'idle database client error'));
await applyMigrations(database.pool, migrationsFolder);

let redis: Redis | null = null;
if (config.redisUrl) {
  redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2 });
  redis.on('error', (error) => logger.warn({ err: error }, 'redis error'));
} else {
  logger.warn('REDIS_URL not set: revocations are not broadcast to other processes, and rate limits count per process (memory store)');
}

const auth = await createAuthApp({ config, logger, db: database.db, ping: database.ping, redis });
if (config.dev.enabled) {
  const created = await seedDevIdentities(auth.identities, { emails: config.dev.seedEmails, adminEmails: config.dev.adminEmails });
  logger.info({ created }, 'dev mode: seeded users present');
}
auth.relay.start();
auth.relay.wake();

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
