/**
 * The subgraphs the supergraph is composed from, in one place for the composition script and
 * the gateway. `url` in the committed supergraph is the dev default; at run time the gateway
 * sends each subgraph's requests to the URL its configuration names.
 */
export const SUBGRAPHS = [
  { name: 'auth', schema: 'services/auth/src/schema.graphql', devUrl: 'http://127.0.0.1:3008/graphql' },
  { name: 'users', schema: 'services/users/src/schema.graphql', devUrl: 'http://127.0.0.1:3010/graphql' },
  { name: 'organizations', schema: 'services/organizations/src/schema.graphql', devUrl: 'http://127.0.0.1:3011/graphql' },
  { name: 'content-feed', schema: 'services/content-feed/src/schema.graphql', devUrl: 'http://127.0.0.1:3012/graphql' },
] as const;

export type SubgraphName = (typeof SUBGRAPHS)[number]['name'];
