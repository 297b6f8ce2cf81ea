import { applyMigrations, servicePoolOptions } from '@malet/database';
import { serveUntilSignalled } from '@malet/http-server';
import { createLogger } from '@malet/logging';
import { createUsersApp } from './app';
import { loadUsersConfig } from './config';
import { createUsersDatabase, migrationsFolder } from './data/db';

const config = loadUsersConfig();
const logger = createLogger({ service: 'users', level: config.logLevel });
const database = createUsersDatabase(config.databaseUrl, servicePoolOptions({ logger, preparedStatements: config.databasePreparedStatements }));
await applyMigrations(database.pool, migrationsFolder);

const users = await createUsersApp({ config, logger, db: database.db, ping: database.ping });
await serveUntilSignalled(users.app, {
  service: 'users',
  http: config.http,
  logger,
  onClose: async () => {
    await users.close();
    await database.close();
  },
});
