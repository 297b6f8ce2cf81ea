import { applyMigrations } from '@malet/database';
import { closeOnSignals, startHttpServer } from '@malet/http-server';
import { createLogger } from '@malet/logging';
import { createUsersApp } from './app';
import { loadUsersConfig } from './config';
import { createUsersDatabase, migrationsFolder } from './data/db';

const config = loadUsersConfig();
const logger = createLogger({ service: 'users', level: config.logLevel });
const database = createUsersDatabase(config.databaseUrl, (error) => logger.warn({ err: error }, 'idle database client error'));
await applyMigrations(database.pool, migrationsFolder);

const users = await createUsersApp({ config, logger, db: database.db, ping: database.ping });
const server = await startHttpServer(users.app, {
  port: config.http.port,
  host: config.http.host,
  logger,
  graceMs: config.http.shutdownGraceMs,
  onClose: async () => {
    await users.close();
    await database.close();
  },
});
closeOnSignals(server.close, logger);
logger.info({ url: server.url }, 'users listening');
