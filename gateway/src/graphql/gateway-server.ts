import { ApolloGateway, type GraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { formatGraphQLError, graphqlMetricsPlugin } from '@malet/graphql-server';
import { INTERNAL_TOKEN_HEADER } from '@malet/internal-auth';
import { REQUEST_ID_HEADER, type Logger } from '@malet/logging';
import type { GatewayMetrics } from '../admin/gateway-metrics';
import { createCountingPlanCache } from './query-plan-cache';
import { createSubgraphCircuit, type CircuitSettings, type SubgraphCircuit } from './subgraph-circuit';
import { SUBGRAPH_UNAVAILABLE, describeSubgraphError, isSubgraphFailure } from './subgraph-failure';
import { isBatchableEntityFetch, type SubgraphAnswer } from './entity-fetch-batch';
import { levelQueryPlan } from './query-plan-levels';
import { createSubgraphBatcher } from './subgraph-batcher';
import { createSubgraphFetcher } from './subgraph-fetcher';
import { sendSubgraphRequest } from './subgraph-request';
import { installCompiledExecutor } from './compiled-executor';

export interface GatewayContext {
  /** Signed identity for the subgraphs; anonymous requests carry one too. */
  internalToken: string;
  requestId: string;
}

/**
 * Sends every subgraph call with the internal token and request id (subgraph-request.ts), times
 * it, and runs it through the subgraph's circuit: a failure becomes an error naming the
 * subgraph, and the rest of the query's data still reaches the client.
 */
class IdentityForwardingDataSource implements GraphQLDataSource<GatewayContext> {
  constructor(
    private readonly name: string,
    private readonly url: string,
    private readonly metrics: GatewayMetrics,
    private readonly circuit: SubgraphCircuit,
    private readonly fetchSubgraph: ReturnType<typeof createSubgraphFetcher>,
    batching: boolean,
  ) {
    this.batch = batching ? createSubgraphBatcher({ send: (options) => this.processAlone(options), pathOf: pathOfFetch }) : null;
  }

  private readonly batch: ((options: GraphQLDataSourceProcessOptions<GatewayContext>) => Promise<SubgraphAnswer>) | null;

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<SubgraphAnswer> {
    // Entity fetches of one client request that start together share one request (subgraph-batcher.ts).
    if (this.batch && 'pathInIncomingRequest' in options && isBatchableEntityFetch(options.request)) return this.batch(options);
    return this.processAlone(options);
  }

  private async processAlone(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<SubgraphAnswer> {
    const path = pathOfFetch(options);
    const stop = this.metrics.subgraphRequestDuration.startTimer({ subgraph: this.name });
    try {
      const result = await this.circuit.run(async () => {
        try {
          return await sendSubgraphRequest(this.fetchSubgraph, this.url, options.request, identityHeaders(options.context));
        } catch (error) {
          throw describeSubgraphError(error, this.name, path);
        }
      }, path);
      stop({ outcome: 'ok' });
      return result;
    } catch (error) {
      stop({ outcome: 'error' });
      if (isSubgraphFailure(error)) {
        const reason = String((error as { extensions: { reason: string } }).extensions.reason).replace('gateway:subgraph_', '');
        this.metrics.subgraphFailures.inc({ subgraph: this.name, reason });
      }
      throw error;
    }
  }
}

/** The caller's identity for the subgraph (the gateway's own requests, such as health checks, carry none). */
function identityHeaders(context: Partial<GatewayContext>): Record<string, string> {
  const headers: Record<string, string> = {};
  if (context.internalToken) headers[INTERNAL_TOKEN_HEADER] = context.internalToken;
  if (context.requestId) headers[REQUEST_ID_HEADER] = context.requestId;
  return headers;
}

const pathOfFetch = (options: GraphQLDataSourceProcessOptions<GatewayContext>) =>
  'pathInIncomingRequest' in options ? responsePrefix(options.pathInIncomingRequest) : undefined;

/** Where in the response a fetch's data lands, up to its first list (`@` in a query plan). */
function responsePrefix(path: readonly (string | number)[] | undefined): (string | number)[] | undefined {
  if (!path) return undefined;
  const list = path.indexOf('@');
  return list === -1 ? [...path] : path.slice(0, list);
}

/**
 * A request naming no operation of its document (an unknown name, "", or none among several)
 * must be refused as graphql-js refuses it. @apollo/gateway's executor runs the first operation
 * it finds instead, and Apollo Server, which resolved none, answers that with a 500.
 */
function refuseUnresolvedOperations(gateway: ApolloGateway): void {
  const execute = gateway.executor;
  gateway.executor = async (requestContext) => {
    if (requestContext.operation) return execute(requestContext);
    const name = requestContext.request.operationName;
    const message = name === undefined || name === null ? 'Must provide operation name if query contains multiple operations.' : `Unknown operation named "${name}".`;
    return { errors: [new GraphQLError(message)] };
  };
}

export async function createGatewayServer(options: {
  logger: Logger;
  metrics: GatewayMetrics;
  /** Full GraphQL endpoint URLs by subgraph name, overriding the supergraph's (see config.ts). */
  subgraphUrls: Record<string, string>;
  /** Subgraph names the supergraph must have (those the operator named explicitly). */
  requiredSubgraphs?: string[];
  supergraphSdl: string;
  /** Deadline of one subgraph request, connect to last byte. */
  subgraphTimeoutMs: number;
  circuit: CircuitSettings;
  /** Merge the entity fetches a request starts together into one request per subgraph. */
  entityBatching: boolean;
  /** Apollo's own parser stops at this many tokens too (operation-limits.ts checks first). */
  maxTokens: number;
  /** `compiled` (compiled-executor.ts) or @apollo/gateway's `stock` executor. */
  executor: 'compiled' | 'stock';
}) {
  const fetcher = createSubgraphFetcher({ timeoutMs: options.subgraphTimeoutMs });
  const circuits = new Map<string, SubgraphCircuit>();
  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl,
    buildService: ({ name, url }) => {
      const circuit = createSubgraphCircuit(name, options.circuit, (state) => options.metrics.setCircuitState(name, state));
      options.metrics.setCircuitState(name, circuit.state());
      circuits.set(name, circuit);
      return new IdentityForwardingDataSource(name, options.subgraphUrls[name] ?? url!, options.metrics, circuit, fetcher, options.entityBatching);
    },
    // Levelled plans start together the fetches that entity batching can merge (query-plan-levels.ts).
    ...(options.entityBatching ? { experimental_didResolveQueryPlan: ({ queryPlan }) => levelQueryPlan(queryPlan) } : {}),
    queryPlannerConfig: {
      cache: createCountingPlanCache((result) => options.metrics.queryPlanCacheLookups.inc({ result })),
    },
    logger: options.logger,
  });
  const compiled =
    options.executor === 'compiled'
      ? installCompiledExecutor(gateway, {
          ...(options.entityBatching ? { arrangePlan: levelQueryPlan } : {}),
          onLookup: (result) => options.metrics.queryPlanCacheLookups.inc({ result }),
          onExecute: (executor) => options.metrics.graphqlOperations.inc({ executor }),
        })
      : null;
  refuseUnresolvedOperations(gateway);
  const server = new ApolloServer<GatewayContext>({
    gateway,
    parseOptions: { maxTokens: options.maxTokens },
    formatError: formatGraphQLError(options.logger, { passThroughCodes: [SUBGRAPH_UNAVAILABLE, 'PAYLOAD_TOO_LARGE'] }),
    includeStacktraceInErrorResponses: false,
    plugins: [graphqlMetricsPlugin(options.metrics), ApolloServerPluginInlineTraceDisabled()],
  });
  await server.start();
  const unknown = (options.requiredSubgraphs ?? []).filter((name) => !circuits.has(name));
  if (unknown.length > 0) {
    await server.stop();
    throw new Error(`SUBGRAPH_URLS names ${unknown.join(', ')}, which the supergraph does not have (it has ${[...circuits.keys()].join(', ')})`);
  }
  return {
    server,
    /** Plans and compiles a query's operations ahead of its first request (persisted operations). */
    prepare: (query: string) => compiled?.prepare(query),
    /** Operations Apollo Server has validated and the compiled executor ran (ready-operations.ts). */
    ready: compiled ? compiled.ready : () => undefined,
    /** Each subgraph's circuit state, for the admin metrics. */
    circuitStates: () => Object.fromEntries([...circuits].map(([name, circuit]) => [name, circuit.state()])),
  };
}
