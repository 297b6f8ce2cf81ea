import { GraphQLError } from 'graphql';
import { graphqlCodeForStatus } from '@malet/errors';
import { SubgraphTimeoutError, SubgraphUnreachableError } from './subgraph-fetcher';

/** The stable code of every "this subgraph could not answer" error a client sees. */
export const SUBGRAPH_UNAVAILABLE = 'SUBGRAPH_UNAVAILABLE';

/** Why a subgraph could not answer; the client sees it as `extensions.reason` `gateway:subgraph_<why>`. */
export type SubgraphFailureReason = 'timeout' | 'unreachable' | 'server_error' | 'circuit_open';

type Path = readonly (string | number)[] | undefined;

export function subgraphUnavailable(subgraph: string, reason: SubgraphFailureReason, detail: string, path: Path): GraphQLError {
  return new GraphQLError(`The ${subgraph} subgraph is unavailable: ${detail}`, {
    ...(path && path.length > 0 ? { path } : {}),
    extensions: { code: SUBGRAPH_UNAVAILABLE, reason: `gateway:subgraph_${reason}`, subgraph },
  });
}

/** Whether an error is one that counts against the subgraph's circuit (it failed, the client did not). */
export function isSubgraphFailure(error: unknown): boolean {
  return error instanceof GraphQLError && error.extensions.code === SUBGRAPH_UNAVAILABLE;
}

/**
 * Turns whatever fetching from a subgraph threw into the error the client sees. Timeouts,
 * unreachable processes and 5xx answers become SUBGRAPH_UNAVAILABLE naming the subgraph (the
 * rest of the query's data still arrives); a 4xx answer is reported as what it is, with the
 * subgraph's own code (a 413 is PAYLOAD_TOO_LARGE `request:too_large`, not a server error).
 */
export function describeSubgraphError(error: unknown, subgraph: string, path: Path): GraphQLError {
  if (error instanceof SubgraphTimeoutError) return subgraphUnavailable(subgraph, 'timeout', `no answer within ${error.timeoutMs} ms`, path);
  if (error instanceof SubgraphUnreachableError) return subgraphUnavailable(subgraph, 'unreachable', 'connection failed', path);
  const response = error instanceof GraphQLError ? (error.extensions.response as { status?: number; body?: unknown } | undefined) : undefined;
  const status = response?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const body = (typeof response?.body === 'object' && response.body !== null ? response.body : {}) as { code?: unknown; details?: unknown };
    return new GraphQLError(typeof body.details === 'string' ? body.details : `The ${subgraph} subgraph refused the request (${status})`, {
      ...(path && path.length > 0 ? { path } : {}),
      extensions: {
        code: status === 413 ? 'PAYLOAD_TOO_LARGE' : graphqlCodeForStatus(status),
        reason: typeof body.code === 'string' ? body.code : `gateway:subgraph_${status}`,
        status,
        subgraph,
      },
    });
  }
  const detail = typeof status === 'number' ? `it answered ${status}` : 'it sent an unreadable answer';
  return subgraphUnavailable(subgraph, 'server_error', detail, path);
}
