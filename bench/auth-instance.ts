import { applyMigrations } from '@malet/database';
import { startHttpServer } from '@malet/http-server';
import { createLogger } from '@malet/logging';
import { createTestDatabase, startTestPostgres } from '@malet/testing';
import { createAuthApp } from '../services/auth/src/app';
import { loadAuthConfig } from '../services/auth/src/config';
import { createAuthDatabase, migrationsFolder } from '../services/auth/src/core/db';
import type { Mailer } from '../services/auth/src/core/mail/mailer';

/**
 * The real auth app on its own PostgreSQL (embedded, or TEST_POSTGRES_URL), listening on
 * loopback, for the auth benchmarks: rate limits off, silent logs, mail to `mailer`.
 */
export async function startBenchAuth(options: { name: string; mailer: Mailer }) {
  const postgres = await startTestPostgres();
  const database = await createTestDatabase(postgres.adminUrl, options.name);
  const config = loadAuthConfig({
    DATABASE_URL: database.url,
    LOG_LEVEL: 'silent',
    RATE_LIMITS_ENABLED: 'false',
    COOKIE_SECURE: 'false',
    USERS_URL: 'http://127.0.0.1:9',
  });
  const logger = createLogger({ service: 'auth', level: 'silent' });
  const pool = createAuthDatabase(config.databaseUrl);
  await applyMigrations(pool.pool, migrationsFolder);
  const auth = await createAuthApp({ config, logger, db: pool.db, ping: pool.ping, redis: null, mailer: options.mailer });
  const server = await startHttpServer(auth.app, { port: 0, host: '127.0.0.1', logger });
  return {
    auth,
    config,
    url: server.url,
    db: pool.db,
    async stop() {
      await server.close();
      await auth.close();
      await pool.close();
      await database.drop();
      await postgres.stop();
    },
  };
}
