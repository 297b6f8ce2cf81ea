import { createHttpApp, finishHttpApp } from '@malet/http-server';
import { createInternalTokenVerifier } from '@malet/internal-auth';
import { createSubgraphServer, subgraphMiddleware } from '@malet/graphql-server';
import type { Logger } from '@malet/logging';
import { createMetrics } from '@malet/metrics';
import type { ContentFeedConfig } from './config';
import type { ContentFeedDb } from './data/db';
import { createFeedRepository } from './data/feed.repository';
import { createMaletRepository } from './data/malet.repository';
import { createPostRepository } from './data/post.repository';
import { createFeedService } from './domain/feeds/feed.service';
import { createMaletService } from './domain/malet.service';
import { createPostService } from './domain/post.service';
import { createLoaders } from './graphql/loaders';
import { createResolvers, typeDefs, type ContentFeedContext } from './graphql/resolvers';
import { feedRoutes } from './routes/feed.routes';

export async function createContentFeedApp(deps: {
  config: ContentFeedConfig;
  logger: Logger;
  db: ContentFeedDb;
  ping: () => Promise<void>;
}) {
  const { config, logger, db } = deps;
  const metrics = createMetrics({ service: 'content-feed' });
  const verifyInternalToken = createInternalTokenVerifier({ secret: config.internalTokenSecret });
  const malets = createMaletRepository(db);
  const posts = createPostRepository(db);
  const maletService = createMaletService({ malets });
  const postService = createPostService({ posts, malets });
  const feedRepository = createFeedRepository(db);
  const feedService = createFeedService({ feeds: feedRepository, publicBaseUrl: config.publicBaseUrl });

  const app = createHttpApp({ service: 'content-feed', logger, metrics, production: config.production, readiness: deps.ping });
  // Public: crawlers fetch these through the gateway without credentials.
  app.use(feedRoutes({ feeds: feedService, production: config.production }));
  const graphql = await createSubgraphServer<ContentFeedContext>({
    typeDefs,
    resolvers: createResolvers({ malets, maletService, postService, publicBaseUrl: config.publicBaseUrl }),
    logger,
    metrics,
  });
  app.post(
    '/graphql',
    subgraphMiddleware(graphql, verifyInternalToken, (base) => ({ ...base, loaders: createLoaders({ malets, posts }) })),
  );
  finishHttpApp(app);
  return { app, malets, posts, feedRepository, maletService, postService, feedService, close: () => graphql.stop() };
}

export type ContentFeedApp = Awaited<ReturnType<typeof createContentFeedApp>>;
