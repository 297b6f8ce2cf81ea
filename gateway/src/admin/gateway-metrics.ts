import { createMetrics, promClient } from '@malet/metrics';
import type { RevocationStreamState } from '@malet/session-client';
import type { CircuitStateName } from '../graphql/subgraph-circuit';

/** The process metrics every service has, plus the gateway's own (docs/architecture.md, section 8). */
export function createGatewayMetrics() {
  const metrics = createMetrics({ service: 'gateway' });
  const subgraphRequestDuration = new promClient.Histogram({
    name: 'gateway_subgraph_request_duration_seconds',
    help: 'Duration of requests from the gateway to each subgraph',
    labelNames: ['subgraph', 'outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [metrics.registry],
  });
  const authCacheLookups = new promClient.Counter({
    name: 'gateway_auth_cache_lookups_total',
    help: 'Credential cache lookups: hit, negative_hit, miss (asked auth), coalesced (joined an in-flight miss), malformed (not a token, refused unasked)',
    labelNames: ['result'] as const,
    registers: [metrics.registry],
  });
  const queryPlanCacheLookups = new promClient.Counter({
    name: 'gateway_query_plan_cache_lookups_total',
    help: 'Query plan cache lookups: hit or miss',
    labelNames: ['result'] as const,
    registers: [metrics.registry],
  });
  const graphqlOperations = new promClient.Counter({
    name: 'gateway_graphql_operations_total',
    help: 'GraphQL operations executed, by executor: compiled (planned and compiled once), or stock (@apollo/gateway\'s, for what the compiled one does not run)',
    labelNames: ['executor'] as const,
    registers: [metrics.registry],
  });
  const graphqlDirectAnswers = new promClient.Counter({
    name: 'gateway_graphql_direct_answers_total',
    help: 'Requests for a ready operation (one Apollo Server has validated before), run without Apollo Server\'s pipeline: answered directly, or handed to Apollo Server to format a result with errors or extensions',
    labelNames: ['outcome'] as const,
    registers: [metrics.registry],
  });
  const subgraphFailures = new promClient.Counter({
    name: 'gateway_subgraph_failures_total',
    help: 'Subgraph requests that failed: timeout, unreachable, server_error, or circuit_open (refused at once)',
    labelNames: ['subgraph', 'reason'] as const,
    registers: [metrics.registry],
  });
  const circuitState = new promClient.Gauge({
    name: 'gateway_subgraph_circuit_state',
    help: 'Circuit breaker state per subgraph: 0 closed, 1 half-open (one trial request), 2 open (refused at once)',
    labelNames: ['subgraph'] as const,
    registers: [metrics.registry],
  });
  const setCircuitState = (subgraph: string, state: CircuitStateName) => circuitState.set({ subgraph }, CIRCUIT_STATE_VALUES[state]);
  const revocationStream = new promClient.Gauge({
    name: 'gateway_revocation_stream_state',
    help: "Auth's revocation stream: 0 down (cached credentials not trusted), 1 catching up, 2 live",
    registers: [metrics.registry],
  });
  const setRevocationStreamState = (state: RevocationStreamState) => revocationStream.set(STREAM_STATE_VALUES[state]);
  setRevocationStreamState('down');
  return { ...metrics, subgraphRequestDuration, authCacheLookups, queryPlanCacheLookups, graphqlOperations, graphqlDirectAnswers, subgraphFailures, setCircuitState, setRevocationStreamState };
}

const CIRCUIT_STATE_VALUES: Record<CircuitStateName, number> = { closed: 0, half_open: 1, open: 2 };
const STREAM_STATE_VALUES: Record<RevocationStreamState, number> = { down: 0, catching_up: 1, live: 2 };

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;

type MetricJson = Awaited<ReturnType<promClient.Registry['getMetricsAsJSON']>>[number];

/** The JSON view of `/admin/metrics`, read from the same counters Prometheus scrapes. */
export async function summarizeMetrics(
  metrics: GatewayMetrics,
  extra: { authCache: { size: number; revocations: string }; revocationStream: RevocationStreamState; circuitStates: Record<string, CircuitStateName> },
) {
  const all = await metrics.registry.getMetricsAsJSON();
  const find = (name: string) => all.find((metric) => metric.name === name);
  const byLabel = (metric: MetricJson | undefined, label: string, suffix?: string) => {
    const totals: Record<string, number> = {};
    for (const value of (metric?.values ?? []) as { value: number; labels: Record<string, string | number>; metricName?: string }[]) {
      if (suffix && value.metricName !== `${metric!.name}${suffix}`) continue;
      const key = String(value.labels[label] ?? 'unknown');
      totals[key] = (totals[key] ?? 0) + value.value;
    }
    return totals;
  };
  const sum = (totals: Record<string, number>) => Object.values(totals).reduce((a, b) => a + b, 0);
  const operations = byLabel(find('graphql_operation_duration_seconds'), 'operation_name', '_count');
  const errors = byLabel(find('graphql_errors_total'), 'code');
  const auth = byLabel(find('gateway_auth_cache_lookups_total'), 'result');
  const plans = byLabel(find('gateway_query_plan_cache_lookups_total'), 'result');
  // Per subgraph: its circuit, finished requests by outcome, failures by reason.
  const requests = valuesOf(find('gateway_subgraph_request_duration_seconds'), '_count');
  const failures = valuesOf(find('gateway_subgraph_failures_total'));
  const subgraphs = Object.fromEntries(
    Object.entries(extra.circuitStates).map(([name, circuit]) => {
      const total = (outcome: string) =>
        requests.filter((v) => v.labels.subgraph === name && v.labels.outcome === outcome).reduce((a, v) => a + v.value, 0);
      const byReason = Object.fromEntries(failures.filter((v) => v.labels.subgraph === name).map((v) => [String(v.labels.reason), v.value]));
      return [name, { circuit, requests: { ok: total('ok'), error: total('error') }, failures: byReason }];
    }),
  );
  return {
    uptime_seconds: Math.round(process.uptime()),
    operations: {
      total: sum(operations),
      by_name: operations,
      by_type: byLabel(find('graphql_operation_duration_seconds'), 'operation_type', '_count'),
    },
    cache: {
      auth: { ...auth, size: extra.authCache.size, revocations: extra.authCache.revocations, hit_ratio: ratio(auth.hit ?? 0, sum(auth)) },
      query_plan: { ...plans, hit_ratio: ratio(plans.hit ?? 0, sum(plans)) },
    },
    errors: { total: sum(errors), by_code: errors },
    /** `live`: cached credentials are trusted; otherwise every credential is checked with auth. */
    revocations: { stream: extra.revocationStream },
    subgraphs,
  };
}

type LabelledValue = { value: number; labels: Record<string, string | number | undefined>; metricName?: string };

/** A metric's samples (for a histogram, only those named with `suffix`, such as `_count`). */
function valuesOf(metric: MetricJson | undefined, suffix?: string): LabelledValue[] {
  const values = (metric?.values ?? []) as LabelledValue[];
  return suffix ? values.filter((value) => value.metricName === `${metric!.name}${suffix}`) : values;
}

function ratio(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((part / whole) * 1000) / 1000;
}
