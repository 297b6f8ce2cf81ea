import { applyMigrations } from '@malet/database';
import { closeOnSignals, startHttpServer } from '@malet/http-server';
import { createLogger } from '@malet/logging';
import { createOrganizationsApp } from './app';
import { loadOrganizationsConfig } from './config';
import { createOrganizationsDatabase, migrationsFolder } from './data/db';

const config = loadOrganizationsConfig();
const logger = createLogger({ service: 'organizations', level: config.logLevel });
const database = createOrganizationsDatabase(config.databaseUrl, (error) => logger.warn({ err: error }, 'idle database client error'));
await applyMigrations(database.pool, migrationsFolder);

const organizations = await createOrganizationsApp({ config, logger, db: database.db, ping: database.ping });
const server = await startHttpServer(organizations.app, {
  port: config.http.port,
  host: config.http.host,
  logger,
  graceMs: config.http.shutdownGraceMs,
  onClose: async () => {
    await organizations.close();
    await database.close();
  },
});
closeOnSignals(server.close, logger);
logger.info({ url: server.url }, 'organizations listening');
