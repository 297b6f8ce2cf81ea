import { createHttpApp, finishHttpApp } from '@malet/http-server';
import { createInternalTokenVerifier } from '@malet/internal-auth';
import { createSubgraphServer, subgraphMiddleware } from '@malet/graphql-server';
import type { Logger } from '@malet/logging';
import { createMetrics } from '@malet/metrics';
import type { UsersConfig } from './config';
import type { UsersDb } from './data/db';
import { createProfileRepository } from './data/profile.repository';
import { createProfileService } from './domain/profile.service';
import { createProfileLoader, createResolvers, typeDefs, type UsersContext } from './graphql/resolvers';
import { internalRoutes } from './routes/internal.routes';

export async function createUsersApp(deps: { config: UsersConfig; logger: Logger; db: UsersDb; ping: () => Promise<void> }) {
  const { config, logger, db } = deps;
  const metrics = createMetrics({ service: 'users' });
  const verifyInternalToken = createInternalTokenVerifier({ secret: config.internalTokenSecret });
  const profiles = createProfileRepository(db);
  const profileService = createProfileService({ profiles });

  const app = createHttpApp({ service: 'users', logger, metrics, production: config.production, readiness: deps.ping });
  app.use(internalRoutes({ db, profiles, profileService, verifyInternalToken }));
  const graphql = await createSubgraphServer<UsersContext>({ typeDefs, resolvers: createResolvers({ profiles }), logger, metrics });
  app.post(
    '/graphql',
    subgraphMiddleware(graphql, verifyInternalToken, (base) => ({ ...base, profilesById: createProfileLoader(profiles) })),
  );
  finishHttpApp(app);
  return { app, profiles, close: () => graphql.stop() };
}
