import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serviceRoot } from '@malet/config';
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { formatGraphQLError, graphqlMetricsPlugin } from '@malet/graphql-server';
import { INTERNAL_TOKEN_HEADER } from '@malet/internal-auth';
import { REQUEST_ID_HEADER, type Logger } from '@malet/logging';
import type { GatewayMetrics } from '../admin/gateway-metrics';
import { createCountingPlanCache } from './query-plan-cache';
import { createSubgraphFetcher } from './subgraph-fetcher';

export interface GatewayContext {
  /** Signed identity for the subgraphs; anonymous requests carry one too. */
  internalToken: string;
  requestId: string;
}

export const supergraphPath = join(serviceRoot(import.meta.url), 'supergraph.graphql');

/** Attaches the internal token and request id to every subgraph call, and times it. */
class IdentityForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    config: { name: string; url: string },
    private readonly metrics: GatewayMetrics,
    fetcher: ReturnType<typeof createSubgraphFetcher>,
  ) {
    // The fetcher implements the part of the Fetch API the data source uses.
    super({ url: config.url, fetcher: fetcher as never });
    this.name = config.name;
  }

  readonly name: string;

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>) {
    request.http?.headers.set(INTERNAL_TOKEN_HEADER, context.internalToken);
    request.http?.headers.set(REQUEST_ID_HEADER, context.requestId);
  }

  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>) {
    const stop = this.metrics.subgraphRequestDuration.startTimer({ subgraph: this.name });
    try {
      const result = await super.process(options);
      stop({ outcome: 'ok' });
      return result;
    } catch (error) {
      stop({ outcome: 'error' });
      throw error;
    }
  }
}

export async function createGatewayServer(options: {
  logger: Logger;
  metrics: GatewayMetrics;
  subgraphUrls: Record<string, string>;
  supergraphSdl?: string;
}) {
  const fetcher = createSubgraphFetcher();
  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl ?? readFileSync(supergraphPath, 'utf8'),
    buildService: ({ name, url }) => {
      const base = options.subgraphUrls[name];
      return new IdentityForwardingDataSource({ name, url: base ? `${base}/graphql` : url! }, options.metrics, fetcher);
    },
    queryPlannerConfig: {
      cache: createCountingPlanCache((result) => options.metrics.queryPlanCacheLookups.inc({ result })),
    },
    logger: options.logger,
  });
  const server = new ApolloServer<GatewayContext>({
    gateway,
    formatError: formatGraphQLError(options.logger),
    includeStacktraceInErrorResponses: false,
    plugins: [graphqlMetricsPlugin(options.metrics), ApolloServerPluginInlineTraceDisabled()],
  });
  await server.start();
  return server;
}
