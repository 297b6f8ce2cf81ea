import { GraphQLError } from 'graphql';
import type { SubgraphAnswer } from './entity-fetch-batch';
import { isJsonObject } from './json-object';
import type { createSubgraphFetcher } from './subgraph-fetcher';

type Fetcher = ReturnType<typeof createSubgraphFetcher>;

export interface SubgraphRequest {
  query?: string | undefined;
  variables?: Record<string, unknown> | undefined;
  operationName?: string | undefined;
  extensions?: Record<string, unknown> | undefined;
}

/**
 * One GraphQL request to a subgraph, sent and read as @apollo/gateway's RemoteGraphQLDataSource
 * does (POST, a JSON body of query, variables, operationName and extensions; a non-2xx answer
 * becomes an error carrying `extensions.response`; a body that is not a JSON object is refused),
 * without what it builds per request and this gateway never reads: node-fetch `Headers`, a
 * node-fetch `Request` kept only for its error hook, and the persisted-query and cache-control
 * branches (the gateway's /graphql answers are never cacheable: app.ts sends `no-store`).
 */
export async function sendSubgraphRequest(fetcher: Fetcher, url: string, request: SubgraphRequest, headers: Record<string, string>): Promise<SubgraphAnswer> {
  if (!request.query) throw new Error('Missing query');
  const { query, variables, operationName, extensions } = request;
  const response = await fetcher(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables, operationName, extensions }),
  });
  const body = await readBody(response);
  if (!response.ok) {
    const code = response.status === 401 ? 'UNAUTHENTICATED' : response.status === 403 ? 'FORBIDDEN' : undefined;
    throw new GraphQLError(`${response.status}: ${response.statusText}`, {
      extensions: { response: { url, status: response.status, statusText: response.statusText, body }, ...(code ? { code } : {}) },
    });
  }
  if (!isJsonObject(body)) throw new Error(`Expected JSON response body, but received: ${String(body)}`);
  return body as SubgraphAnswer;
}

async function readBody(response: Awaited<ReturnType<Fetcher>>): Promise<unknown> {
  const type = response.headers.get('content-type');
  return type && (type.startsWith('application/json') || type.startsWith('application/graphql-response+json')) ? response.json() : response.text();
}
