import express, { type NextFunction, type Request, type Response } from 'express';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { expressMiddleware } from '@as-integrations/express5';
import { compileTrustedProxies, createHttpApp, finishHttpApp, inSeries, jsonBody, useErrorRenderer } from '@malet/http-server';
import { createInternalTokenSigner } from '@malet/internal-auth';
import type { Logger } from '@malet/logging';
import { createSessionValidator, hashToken, readCredential } from '@malet/session-client';
import { adminRoutes } from './admin/admin.routes';
import { createGatewayMetrics } from './admin/gateway-metrics';
import { createRequestIdentity } from './auth/request-identity';
import type { GatewayConfig } from './config';
import { createClientRateLimit } from './graphql/client-rate-limit';
import { createGatewayServer, type GatewayContext } from './graphql/gateway-server';
import { graphqlErrorRenderer } from './graphql/graphql-error-renderer';
import { createOperationLimits } from './graphql/operation-limits';
import { createPersistedOperations, loadPersistedOperations } from './graphql/persisted-operations';
import { answerReadyOperations } from './graphql/ready-operations';
import { determineClientAddress } from './http/client-address';
import { refuseCrossSiteCookieRequests } from './http/cross-site-guard';
import { createProxy } from './proxy/http-proxy';
import { createResponseCompression } from './proxy/response-compression';

/** Wires the gateway; `main.ts` and the tests both build it through here. */
export async function createGatewayApp(deps: { config: GatewayConfig; logger: Logger; supergraphSdl?: string }) {
  const { config, logger } = deps;
  const metrics = createGatewayMetrics();
  const signInternalToken = createInternalTokenSigner({ secret: config.internalTokenSecret, issuer: 'gateway' });
  const anonymousToken = reusedFor(30_000, () => signInternalToken());
  const validator = createSessionValidator({
    callerToken: anonymousToken,
    authUrl: config.services.auth,
    logger,
    redisUrl: config.redisUrl,
    ...config.sessionCache,
    onLookup: (result) => metrics.authCacheLookups.inc({ result }),
    onRevocationStreamState: (state) => metrics.setRevocationStreamState(state),
  });
  await validator.subscribe();
  const identity = createRequestIdentity({ validator, signInternalToken });
  const { server: graphql, circuitStates, prepare, ready } = await createGatewayServer({
    logger,
    metrics,
    subgraphUrls: config.supergraph.subgraphUrls,
    requiredSubgraphs: config.supergraph.required,
    supergraphSdl: deps.supergraphSdl ?? readFileSync(config.supergraph.path, 'utf8'),
    subgraphTimeoutMs: config.subgraphs.timeoutMs,
    circuit: config.subgraphs.circuit,
    entityBatching: config.subgraphs.entityBatching,
    executor: config.subgraphs.executor,
    maxTokens: config.graphql.limits.tokens,
  });
  const rateLimit = createClientRateLimit({ ...config.graphql.rateLimit, redisUrl: config.redisUrl, logger });
  let persisted: ReturnType<typeof createPersistedOperations> | null = null;
  if (config.graphql.persisted) {
    const operations = loadPersistedOperations(config.graphql.persisted.path);
    persisted = createPersistedOperations({ operations, only: config.graphql.persisted.only });
    // The operations clients will send are known: their plans are ready before the first request.
    for (const body of operations.values()) prepare(body);
  }

  // One context per request, shared by the ready-operation path and Apollo Server.
  const contextFor = (req: Request, res: Response): Promise<GatewayContext> =>
    (res.locals.graphqlContext ??= identity.internalTokenFor(req.headers).then((internalToken) => ({ internalToken, requestId: req.id })));

  const app = createHttpApp({
    service: 'gateway',
    logger,
    metrics,
    production: config.production,
    // The gateway holds no database; it is ready once composed and listening.
    readiness: async () => {},
    parseJson: false,
    exposeMetrics: false,
  });
  // Answers are no-store (GraphQL) or carry the upstream's own validators (feeds): a hash of
  // every body for an ETag of express's own would be spent for nothing.
  app.set('etag', false);
  // The client address is this gateway's to determine, trusting only its own configured proxies;
  // req.ip and req.protocol follow the same rule.
  const trust = compileTrustedProxies(config.trustedProxies);
  app.set('trust proxy', trust);
  app.use(function determineClient(req: Request, _res: Response, next: NextFunction) {
    req.clientAddress = determineClientAddress(req, trust);
    if (req.clientAddress.source === 'unparsable') req.log.warn({ peer: req.clientAddress.address }, 'unparsable X-Forwarded-For from a trusted proxy: counted as the proxy itself');
    next();
  });
  const admin = {
    metrics,
    adminToken: config.admin.token,
    authCache: () => validator.stats(),
    revocationStream: () => validator.stats().revocationStream,
    circuitStates,
  };

  // One layer for the whole /graphql chain, mounted first: the hottest route does not walk the
  // admin router, nor pay Express's per-layer path matching a dozen times (inSeries).
  app.use(
    '/graphql',
    inSeries(
      function labelGraphqlRoute(_req: Request, res: Response, next: NextFunction) {
        res.locals.route = '/graphql';
        next();
      },
      // Refusals before Apollo answer in the GraphQL shape; each step is cheaper than the next.
      useErrorRenderer(graphqlErrorRenderer),
      function forbidCaching(_req: Request, res: Response, next: NextFunction) {
        // Answers are per viewer and may carry account data: never stored by a cache.
        res.setHeader('Cache-Control', 'no-store');
        next();
      },
      rateLimit.middleware,
      refuseCrossSiteCookieRequests({ trustedOrigins: config.graphql.csrfTrustedOrigins }),
      jsonBody(config.graphql.bodyLimit),
      ...(persisted ? [persisted] : []),
      createOperationLimits({ limits: config.graphql.limits }),
      answerReadyOperations({ ready, contextFor, metrics }),
      expressMiddleware(graphql, { context: ({ req, res }) => contextFor(req, res) }),
    ),
  );
  app.use(adminRoutes({ ...admin, guard: true }));

  // Browser apps use one origin: auth's REST API is reachable through the gateway.
  const toAuth = createProxy({
    name: 'auth',
    target: config.services.auth,
    timeoutMs: config.proxyTimeoutMs,
    // This process stops trusting a token the moment its own proxy sees it end, even without Redis.
    onResponse: function evictEndedSession(req, upstream: IncomingMessage) {
      const path = `${req.baseUrl}${req.path}`;
      const ended = req.method === 'POST' && (path === '/auth/logout' || path === '/auth/refresh');
      const credential = readCredential(req.headers);
      if (ended && credential && (upstream.statusCode ?? 500) < 300) validator.evict([hashToken(credential.token)]);
    },
  });
  app.use('/auth', toAuth);
  app.get('/me', toAuth);
  // Crawler feeds (sitemaps up to 50 MB, RSS) are coded here, at the public edge, once for every
  // client; content-feed always sends identity. The why and the ETag rules: response-compression.ts.
  const toContentFeed = createProxy({
    name: 'content-feed',
    target: config.services['content-feed'],
    timeoutMs: config.proxyTimeoutMs,
    compression: createResponseCompression(),
  });
  app.get(['/sitemap.xml', /^\/sitemap-[a-z0-9-]+\.xml$/, '/sitemap/{*path}', '/rss/{*path}'], toContentFeed);
  app.use('/scim/v2', createProxy({ name: 'scim', target: config.services.scim, timeoutMs: config.proxyTimeoutMs }));
  finishHttpApp(app);

  // The optional admin listener serves only the admin endpoints, reachable where it is bound.
  let adminApp: express.Express | null = null;
  if (config.admin.port !== undefined) {
    adminApp = express();
    adminApp.use(adminRoutes({ ...admin, guard: false }));
  }

  return {
    app,
    adminApp,
    metrics,
    validator,
    async close() {
      await graphql.stop();
      await validator.close();
      await rateLimit.close();
    },
  };
}

export type GatewayApp = Awaited<ReturnType<typeof createGatewayApp>>;

/** A value recomputed at most every `ms` (internal tokens live 60 s; reuse saves signing). */
function reusedFor(ms: number, make: () => Promise<string>): () => Promise<string> {
  let value: Promise<string> | undefined;
  let madeAt = 0;
  return () => {
    if (!value || Date.now() - madeAt > ms) {
      madeAt = Date.now();
      value = make();
    }
    return value;
  };
}
