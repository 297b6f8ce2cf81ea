import { inject } from 'vitest';
import { applyMigrations } from '@malet/database';
import { startHttpServer } from '@malet/http-server';
import { createInternalTokenSigner } from '@malet/internal-auth';
import { createLogger } from '@malet/logging';
import { createTestDatabase } from '@malet/testing';
import { createUsersApp } from '../src/app';
import { loadUsersConfig } from '../src/config';
import { createUsersDatabase, migrationsFolder } from '../src/data/db';

/** The users service on a fresh database, listening on a free loopback port. */
export async function startUsersTestInstance() {
  const database = await createTestDatabase(inject('postgresAdminUrl'), 'users');
  const config = loadUsersConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'silent' });
  const logger = createLogger({ service: 'users', level: 'silent' });
  const pool = createUsersDatabase(config.databaseUrl);
  await applyMigrations(pool.pool, migrationsFolder);
  const users = await createUsersApp({ config, logger, db: pool.db, ping: pool.ping });
  const server = await startHttpServer(users.app, { port: 0, host: '127.0.0.1', logger });
  const sign = createInternalTokenSigner({ secret: config.internalTokenSecret, issuer: 'auth' });
  return {
    url: server.url,
    profiles: users.profiles,
    signInternalToken: sign,
    async deliver(event: { id: string; topic: string; payload: unknown }) {
      const response = await fetch(`${server.url}/internal/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-internal-token': await sign() },
        body: JSON.stringify({ ...event, created_at: new Date().toISOString() }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    async stop() {
      await server.close();
      await users.close();
      await pool.close();
      await database.drop();
    },
  };
}
