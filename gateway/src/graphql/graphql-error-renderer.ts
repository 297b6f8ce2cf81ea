import { graphqlCodeForStatus } from '@malet/errors';
import type { ErrorRenderer } from '@malet/http-server';

/** GraphQL codes for refusals made before Apollo sees a request, by their REST code. */
function graphqlCodeFor(reason: string, status: number): string {
  if (reason === 'request:too_large') return 'PAYLOAD_TOO_LARGE';
  if (reason.startsWith('graphql:limit_')) return 'QUERY_TOO_COMPLEX';
  if (reason === 'graphql:operation_not_allowlisted') return 'PERSISTED_QUERY_NOT_IN_LIST';
  return graphqlCodeForStatus(status);
}

/**
 * What `/graphql` answers when it refuses a request before Apollo runs (body too large or not
 * JSON, rate limit, operation limits, a cross-site cookie request): the GraphQL response shape a
 * client already parses, `{errors: [{message, extensions: {code, reason, status}}]}`, with the
 * same domain code in `reason` that a REST route would put in `code`.
 */
export const graphqlErrorRenderer: ErrorRenderer = (report) => ({
  status: report.status,
  body: {
    errors: [
      {
        message: report.body.details ?? (report.status >= 500 ? 'Internal server error' : 'Request refused'),
        extensions: {
          code: graphqlCodeFor(report.body.code, report.status),
          reason: report.body.code,
          status: report.status,
          ...(report.body.fields ? { fields: report.body.fields } : {}),
          ...(report.body.error_id ? { errorId: report.body.error_id } : {}),
        },
      },
    ],
  },
});
