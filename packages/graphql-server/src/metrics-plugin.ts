import type { ApolloServerPlugin } from '@apollo/server';
import type { Metrics } from '@malet/metrics';

/** Records `graphql_operation_duration_seconds` and `graphql_errors_total` for every operation. */
export function graphqlMetricsPlugin(metrics: Metrics): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      let operationType = 'unknown';
      let operationName: string | null = null;
      return {
        async didResolveOperation(context) {
          operationType = context.operation?.operation ?? 'unknown';
          operationName = context.operationName ?? null;
        },
        async didEncounterErrors(context) {
          for (const error of context.errors) {
            const code = error.extensions?.code;
            metrics.graphqlErrors.inc({ code: typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR' });
          }
        },
        async willSendResponse() {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          metrics.graphqlOperationDuration.observe(
            { operation_type: operationType, operation_name: metrics.operationNames(operationName) },
            seconds,
          );
        },
      };
    },
  };
}
