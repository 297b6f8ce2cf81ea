import { applyMigrations } from '@malet/database';
import { closeOnSignals, startHttpServer } from '@malet/http-server';
import { createLogger } from '@malet/logging';
import { createContentFeedApp } from './app';
import { loadContentFeedConfig } from './config';
import { createContentFeedDatabase, migrationsFolder } from './data/db';

const config = loadContentFeedConfig();
const logger = createLogger({ service: 'content-feed', level: config.logLevel });
const database = createContentFeedDatabase(config.databaseUrl, (error) => logger.warn({ err: error }, 'idle database client error'));
await applyMigrations(database.pool, migrationsFolder);

const contentFeed = await createContentFeedApp({ config, logger, db: database.db, ping: database.ping });
const server = await startHttpServer(contentFeed.app, {
  port: config.http.port,
  host: config.http.host,
  logger,
  graceMs: config.http.shutdownGraceMs,
  onClose: async () => {
    await contentFeed.close();
    await database.close();
  },
});
closeOnSignals(server.close, logger);
logger.info({ url: server.url, publicBaseUrl: config.publicBaseUrl }, 'content-feed listening');
