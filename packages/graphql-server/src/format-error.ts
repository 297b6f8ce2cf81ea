import { randomUUID } from 'node:crypto';
import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { AppError, DatabaseUnavailableError, graphqlCodeForStatus, isDatabaseUnavailable } from '@malet/errors';
import type { Logger } from '@malet/logging';

// Codes Apollo and the gateway produce for client mistakes: passed through as they are.
const CLIENT_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
]);

/**
 * Apollo's `formatError`: AppErrors keep their message and carry `extensions.code` (GraphQL
 * convention) plus `extensions.reason` (the REST code); anything unexpected becomes an
 * INTERNAL_SERVER_ERROR with an error id, logged under that id, and no stack trace. A 5xx
 * AppError is logged under an error id too, as the REST error handler does: its cause (a
 * refused insert, a database away) is what an operator needs and the client never sees.
 */
export function formatGraphQLError(logger: Logger, options: { passThroughCodes?: string[] } = {}) {
  // The gateway adds the codes it gives subgraph failures (they name the subgraph, never a stack).
  const passThrough = new Set([...CLIENT_ERROR_CODES, ...(options.passThroughCodes ?? [])]);
  return function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
    const unwrapped = unwrapResolverError(error);
    // A database that is away is a 503 the client may retry, not an internal error.
    const original = !(unwrapped instanceof AppError) && isDatabaseUnavailable(unwrapped) ? new DatabaseUnavailableError(unwrapped) : unwrapped;
    const { locations, path } = formatted;
    if (original instanceof AppError && original.status < 500) {
      return {
        message: original.message,
        locations,
        path,
        extensions: { code: graphqlCodeForStatus(original.status), reason: original.code, status: original.status },
      };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && passThrough.has(code)) {
      const { stacktrace: _dropped, exception: _alsoDropped, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    const errorId = randomUUID();
    if (original instanceof AppError) {
      logger.error({ err: original, errorId }, 'GraphQL request failed');
      return {
        message: original.expose ? original.message : 'Internal server error',
        locations,
        path,
        extensions: { code: graphqlCodeForStatus(original.status), reason: original.code, status: original.status, errorId },
      };
    }
    logger.error({ err: original, errorId }, 'unexpected GraphQL error');
    return {
      message: 'Internal server error',
      locations,
      path,
      extensions: { code: 'INTERNAL_SERVER_ERROR', errorId },
    };
  };
}
