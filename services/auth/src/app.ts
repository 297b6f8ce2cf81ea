import type { Redis } from 'ioredis';
import { createHttpApp, finishHttpApp } from '@malet/http-server';
import { createInternalTokenSigner, createInternalTokenVerifier } from '@malet/internal-auth';
import { createSubgraphServer, subgraphMiddleware } from '@malet/graphql-server';
import type { Logger } from '@malet/logging';
import { createMetrics, type Metrics } from '@malet/metrics';
import { createOutboxRelay } from '@malet/outbox';
import type { AuthConfig } from './config';
import type { AuthDb } from './data/db';
import { createIdentityRepository } from './data/identity.repository';
import { createSessionRepository } from './data/session.repository';
import { createUsersClient } from './clients/users.client';
import { systemClock, type Clock } from './domain/clock';
import { createSessionService } from './domain/session.service';
import { createRevocationPublisher } from './infra/revocation-publisher';
import { createSmtpMailer, type Mailer } from './infra/mailer';
import { createRateLimiters } from './infra/rate-limiter';
import { createAuditRepository } from './data/audit.repository';
import { createAuditLog } from './domain/audit';
import { createIdentityLoader, createResolvers, typeDefs, type AuthContext } from './graphql/resolvers';
import { devRoutes } from './routes/dev.routes';
import { sessionRoutes } from './routes/session.routes';

export interface AuthDependencies {
  config: AuthConfig;
  logger: Logger;
  db: AuthDb;
  ping: () => Promise<void>;
  redis: Redis | null;
  clock?: Clock;
  metrics?: Metrics;
  /** Defaults to SMTP at config.mail.smtpUrl. */
  mailer?: Mailer;
}

/** Wires the auth service; `main.ts` and the test factory both build it through here. */
export async function createAuthApp(deps: AuthDependencies) {
  const { config, logger, db } = deps;
  const metrics = deps.metrics ?? createMetrics({ service: 'auth' });
  const clock = deps.clock ?? systemClock;
  const signInternalToken = createInternalTokenSigner({ secret: config.internalTokenSecret, issuer: 'auth' });
  const verifyInternalToken = createInternalTokenVerifier({ secret: config.internalTokenSecret });

  const smtp = deps.mailer ? null : createSmtpMailer({ ...config.mail, logger });
  const mailer = deps.mailer ?? smtp!;
  const rateLimiters = createRateLimiters(deps.redis);
  const audit = createAuditLog({ audit: createAuditRepository(db), logger });
  const identities = createIdentityRepository(db);
  const sessions = createSessionService({
    sessions: createSessionRepository(db),
    revocations: createRevocationPublisher(deps.redis, logger),
    clock,
    ttlSeconds: config.session.ttlSeconds,
  });
  const users = createUsersClient({ usersUrl: config.usersUrl, signInternalToken, logger });
  const relay = createOutboxRelay({
    db,
    logger,
    signInternalToken,
    pollMs: config.outbox.pollMs,
    subscribers: [{ name: 'users', url: `${config.usersUrl}/internal/events`, topics: ['user.created', 'user.updated'] }],
  });

  const app = createHttpApp({ service: 'auth', logger, metrics, production: config.production, readiness: deps.ping });
  app.use(sessionRoutes({ sessions, identities, users, cookie: config.cookie }));
  if (config.dev.enabled) {
    app.use(
      devRoutes({
        identities,
        sessions,
        // A profile created moments ago may still be in the outbox: deliver it, then ask again.
        usernameOf: async (userId) => {
          const username = await users.findUsername(userId);
          if (username) return username;
          await relay.flush();
          return users.findUsername(userId);
        },
      }),
    );
  }

  const graphql = await createSubgraphServer<AuthContext>({ typeDefs, resolvers: createResolvers(), logger, metrics });
  app.post(
    '/graphql',
    subgraphMiddleware(graphql, verifyInternalToken, (base) => ({ ...base, identities: createIdentityLoader(identities) })),
  );
  finishHttpApp(app);

  return {
    app,
    relay,
    identities,
    sessions,
    metrics,
    mailer,
    rateLimiters,
    audit,
    async close() {
      await relay.stop();
      await graphql.stop();
      smtp?.close();
    },
  };
}

export type AuthApp = Awaited<ReturnType<typeof createAuthApp>>;
