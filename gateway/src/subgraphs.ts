import { SUBGRAPH_SERVICES, devUrl, subgraphSchemaPath } from '@malet/service-registry';

/**
 * The subgraphs the supergraph is composed from, read from the service registry. `devUrl` in
 * the committed supergraph is the dev default; at run time the gateway sends each subgraph's
 * requests to the URL its configuration names.
 */
export const SUBGRAPHS = SUBGRAPH_SERVICES.map((service) => ({
  name: service.name,
  schema: subgraphSchemaPath(service),
  devUrl: `${devUrl(service)}/graphql`,
}));

export type SubgraphName = (typeof SUBGRAPH_SERVICES)[number]['name'];
