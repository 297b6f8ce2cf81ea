import { applyMigrations, servicePoolOptions } from '@malet/database';
import { serveUntilSignalled } from '@malet/http-server';
import { createLogger } from '@malet/logging';
import { createContentFeedApp } from './app';
import { loadContentFeedConfig } from './config';
import { createContentFeedDatabase, migrationsFolder } from './data/db';

const config = loadContentFeedConfig();
const logger = createLogger({ service: 'content-feed', level: config.logLevel });
const database = createContentFeedDatabase(config.databaseUrl, servicePoolOptions({ logger, preparedStatements: config.databasePreparedStatements }));
await applyMigrations(database.pool, migrationsFolder);

const contentFeed = await createContentFeedApp({ config, logger, db: database.db, ping: database.ping });
await serveUntilSignalled(contentFeed.app, {
  service: 'content-feed',
  http: config.http,
  logger,
  onClose: async () => {
    await contentFeed.close();
    await database.close();
  },
  details: { publicBaseUrl: config.publicBaseUrl },
});
