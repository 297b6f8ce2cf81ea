export { formatGraphQLError } from './format-error';
export { graphqlMetricsPlugin } from './metrics-plugin';
export { createSubgraphServer, subgraphMiddleware, type SubgraphContext } from './subgraph';
