import { applyMigrations, servicePoolOptions } from '@malet/database';
import { serveUntilSignalled } from '@malet/http-server';
import { createLogger } from '@malet/logging';
import { createScimApp } from './app';
import { loadScimConfig } from './config';
import { createScimDatabase, migrationsFolder } from './core/db';

const config = loadScimConfig();
const logger = createLogger({ service: 'scim', level: config.logLevel });
const database = createScimDatabase(config.databaseUrl, servicePoolOptions({ logger, preparedStatements: config.databasePreparedStatements }));
await applyMigrations(database.pool, migrationsFolder);

const scim = await createScimApp({ config, logger, db: database.db, ping: database.ping });
scim.relay.start();
scim.relay.wake();
await serveUntilSignalled(scim.app, {
  service: 'scim',
  http: config.http,
  logger,
  onClose: async () => {
    await scim.close();
    await database.close();
  },
});
