/**
 * Node flags the gateway runs with, wherever it is started (package.json `start`, compose and
 * Kubernetes through NODE_OPTIONS, `pnpm dev`, the benchmarks); test/deployment.test.ts checks
 * each place carries them.
 *
 * A 64 MB young generation (V8's default is 16 MB per semi-space): every answer the gateway
 * merges is short-lived garbage, and with the default size much of it is promoted and collected
 * again by the slower old-generation collector. `pnpm bench federation` measured it side by side
 * (the "default young generation" row): garbage collection was 18% of the gateway's CPU profile,
 * and the larger young generation gave 23-34% more answers per core-second for about 80 MB more
 * peak memory. V8 reads the size when the heap is created, so it must be a flag (setting it from
 * inside the process has no effect).
 */
export const GATEWAY_NODE_FLAGS = ['--max-semi-space-size=64'] as const;
