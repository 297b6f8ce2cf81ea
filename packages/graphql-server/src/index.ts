export { formatGraphQLError } from './format-error';
export { graphqlMetricsPlugin } from './metrics-plugin';
export { createSubgraphServer, subgraphMiddleware, type GraphQLResolverMap, type SubgraphContext } from './subgraph';
