import client from 'prom-client';

export type Registry = client.Registry;

/** Metric names shared by every process (docs/architecture.md, section 8). */
export function createMetrics(options: { service: string; collectDefaults?: boolean }) {
  const registry = new client.Registry();
  registry.setDefaultLabels({ service: options.service });
  if (options.collectDefaults !== false) {
    client.collectDefaultMetrics({ register: registry });
    removeMisnamedDefaultGauges(registry);
  }

  const httpRequestDuration = new client.Histogram({
    name: 'http_server_request_duration_seconds',
    help: 'Duration of HTTP requests handled by this process, by route template',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  const graphqlOperationDuration = new client.Histogram({
    name: 'graphql_operation_duration_seconds',
    help: 'Duration of GraphQL operations, by type and (bounded) operation name',
    labelNames: ['operation_type', 'operation_name'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  const graphqlErrors = new client.Counter({
    name: 'graphql_errors_total',
    help: 'GraphQL errors returned to clients, by extensions.code',
    labelNames: ['code'] as const,
    registers: [registry],
  });

  return {
    registry,
    httpRequestDuration,
    graphqlOperationDuration,
    graphqlErrors,
    operationNames: createBoundedLabel(100),
    contentType: registry.contentType,
    render: () => registry.metrics(),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * prom-client's default metrics include three gauges named `*_total`, a suffix Prometheus
 * reserves for counters (`promtool check metrics` rejects them). They only sum the by-type
 * gauges `nodejs_active_{handles,requests,resources}`, which stay.
 */
function removeMisnamedDefaultGauges(registry: client.Registry): void {
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(name);
  }
}

/**
 * Client-chosen strings (operation names) become label values only while the set stays small
 * and the value is a plain identifier; everything else collapses to `other`, so a client cannot
 * grow the series count without bound.
 */
export function createBoundedLabel(limit: number) {
  const seen = new Set<string>();
  return (value: string | null | undefined): string => {
    if (!value) return 'anonymous';
    if (seen.has(value)) return value;
    if (seen.size >= limit || !/^[_A-Za-z][_0-9A-Za-z]{0,63}$/.test(value)) return 'other';
    seen.add(value);
    return value;
  };
}

export { client as promClient };
