import { applyMigrations, servicePoolOptions } from '@malet/database';
import { serveUntilSignalled } from '@malet/http-server';
import { createLogger } from '@malet/logging';
import { createOrganizationsApp } from './app';
import { loadOrganizationsConfig } from './config';
import { createOrganizationsDatabase, migrationsFolder } from './data/db';

const config = loadOrganizationsConfig();
const logger = createLogger({ service: 'organizations', level: config.logLevel });
const database = createOrganizationsDatabase(config.databaseUrl, servicePoolOptions({ logger, preparedStatements: config.databasePreparedStatements }));
await applyMigrations(database.pool, migrationsFolder);

const organizations = await createOrganizationsApp({ config, logger, db: database.db, ping: database.ping });
await serveUntilSignalled(organizations.app, {
  service: 'organizations',
  http: config.http,
  logger,
  onClose: async () => {
    await organizations.close();
    await database.close();
  },
});
