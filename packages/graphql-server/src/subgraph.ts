import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';

export type { GraphQLResolverMap };
import type { Request, RequestHandler } from 'express';
import type { DocumentNode } from 'graphql';
import { requireInternalToken, type InternalIdentity, type InternalTokenVerifier } from '@malet/internal-auth';
// The http-server bootstrap gives every request `id` and `log` (an express augmentation).
import type {} from '@malet/http-server';
import type { Logger } from '@malet/logging';
import type { Metrics } from '@malet/metrics';
import { formatGraphQLError } from './format-error';
import { graphqlMetricsPlugin } from './metrics-plugin';

export interface SubgraphContext {
  identity: InternalIdentity;
  log: Logger;
  requestId: string;
}

export async function createSubgraphServer<TContext extends SubgraphContext>(options: {
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<TContext>;
  logger: Logger;
  metrics: Metrics;
}): Promise<ApolloServer<TContext>> {
  const server = new ApolloServer<TContext>({
    // buildSubgraphSchema is typed for an unknown context; ours is set by subgraphMiddleware.
    schema: buildSubgraphSchema({ typeDefs: options.typeDefs, resolvers: options.resolvers as GraphQLResolverMap<unknown> }),
    formatError: formatGraphQLError(options.logger),
    includeStacktraceInErrorResponses: false,
    // No Apollo Studio here: federated traces would only cost time on every request.
    plugins: [graphqlMetricsPlugin(options.metrics), ApolloServerPluginInlineTraceDisabled()],
  });
  await server.start();
  return server;
}

/**
 * The subgraph endpoint: only the gateway, holding a valid internal token it issued, gets in;
 * the resolvers see the identity it vouched for.
 */
export function subgraphMiddleware<TContext extends SubgraphContext>(
  server: ApolloServer<TContext>,
  verify: InternalTokenVerifier,
  extendContext: (base: SubgraphContext, req: Request) => TContext,
): RequestHandler[] {
  return [
    function labelGraphqlRoute(_req, res, next) {
      res.locals.route = '/graphql';
      next();
    },
    requireInternalToken(verify, { callers: ['gateway'] }) as RequestHandler,
    expressMiddleware(server, {
      context: async ({ req }) =>
        extendContext({ identity: req.identity!, log: req.log, requestId: req.id }, req),
    }),
  ];
}
