import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { baseConfig, baseEnvShape, flag, httpUrl, loadConfig, port, refuseDevSecretsInProduction, serviceRoot, z } from '@malet/config';
import { trustedProxiesEnv } from '@malet/http-server';
import { GATEWAY, SERVICES, SUBGRAPH_SERVICES, devUrl, type ServiceName, type ServiceUrlEnv } from '@malet/service-registry';

/** The supergraph `pnpm compose` writes from the suite's own subgraphs, served unless SUPERGRAPH_PATH names another. */
export const committedSupergraphPath = join(serviceRoot(import.meta.url), 'supergraph.graphql');

/**
 * `SUBGRAPH_URLS`: `name=url` pairs separated by commas, each sending one subgraph of the
 * supergraph somewhere other than the URL the supergraph names.
 */
const subgraphUrlList = z
  .string()
  .transform((value, context) => {
    const urls: Record<string, string> = {};
    for (const pair of value.split(',').map((item) => item.trim()).filter(Boolean)) {
      const split = pair.indexOf('=');
      const name = pair.slice(0, split).trim();
      const url = httpUrl.safeParse(pair.slice(split + 1).trim());
      if (split <= 0 || !url.success) {
        context.addIssue({ code: 'custom', message: 'must be name=http(s)-URL pairs separated by commas' });
        return z.NEVER;
      }
      if (name in urls) {
        context.addIssue({ code: 'custom', message: `names subgraph ${name} twice` });
        return z.NEVER;
      }
      urls[name] = url.data;
    }
    return urls;
  });

/** `AUTH_URL`, `USERS_URL`, ...: one per service in the registry, defaulting to its dev address. */
const serviceUrlShape = Object.fromEntries(SERVICES.map((service) => [service.urlEnv, httpUrl.default(devUrl(service))])) as Record<
  ServiceUrlEnv,
  ReturnType<(typeof httpUrl)['default']>
>;

export const gatewayEnvSchema = z
  .object({
    ...baseEnvShape,
    PORT: port(GATEWAY.port),
    ...serviceUrlShape,
    /** The supergraph file to serve (default: the committed one); relative paths start at the working directory. */
    SUPERGRAPH_PATH: z
      .string()
      .transform((path) => resolve(path))
      .refine((path) => existsSync(path), 'must name an existing file')
      .optional(),
    /** Per-subgraph URL overrides; subgraphs not named here use the URL in the supergraph. */
    SUBGRAPH_URLS: subgraphUrlList.optional(),
    /** Positive cache entries never outlive this, even when the session lives longer. */
    SESSION_CACHE_TTL_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
    SESSION_CACHE_NEGATIVE_TTL_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
    SESSION_CACHE_MAX_ENTRIES: z.coerce.number().int().min(1).default(50_000),
    /** Silence on auth's revocation stream after which it counts as lost (auth beats every 5 s). */
    REVOCATION_STREAM_SILENCE_MS: z.coerce.number().int().min(200).max(300_000).default(15_000),
    /** Bearer token that opens /admin/metrics to non-loopback clients (e.g. a remote Prometheus). */
    ADMIN_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
    /** Optional separate listener for the admin endpoints, bound to ADMIN_HOST. */
    ADMIN_PORT: port(0).optional(),
    ADMIN_HOST: z.string().default('127.0.0.1'),
    /** Largest /graphql body (JSON document and variables); larger answers 413 PAYLOAD_TOO_LARGE. */
    GRAPHQL_BODY_LIMIT: z
      .string()
      .regex(/^\d+(b|kb|mb)$/, 'must be a size such as 256kb')
      .default('256kb'),
    /** Operation limits checked before planning (graphql/operation-limits.ts); past one, 400 QUERY_TOO_COMPLEX. */
    GRAPHQL_MAX_TOKENS: z.coerce.number().int().min(100).max(1_000_000).default(2_000),
    GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(2).max(100).default(10),
    GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(0).max(10_000).default(15),
    GRAPHQL_MAX_DIRECTIVES: z.coerce.number().int().min(0).max(10_000).default(20),
    GRAPHQL_MAX_COST: z.coerce.number().int().min(10).max(10_000_000).default(5_000),
    /** Requests per client address on /graphql per window; past it, 429 RATE_LIMITED with Retry-After. */
    GRAPHQL_RATE_LIMIT: z.coerce.number().int().min(1).default(600),
    GRAPHQL_RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(3_600).default(10),
    /** An Apollo persisted query manifest: operations clients may send by hash. */
    GRAPHQL_PERSISTED_OPERATIONS: z.string().min(1).optional(),
    /** Serve only the manifest's operations (production allow-list). */
    GRAPHQL_PERSISTED_ONLY: flag(false),
    /** Origins (besides the gateway's own) whose pages may send cookie-authenticated GraphQL requests. */
    CSRF_TRUSTED_ORIGINS: z
      .string()
      .default('http://localhost:3000,http://localhost:30000')
      .refine(
        (value) => value.split(',').every((item) => !item.trim() || /^https?:\/\/[^/\s?#]+$/.test(item.trim())),
        'must be comma-separated http(s) origins (scheme://host[:port])',
      ),
    /** Deadline of one request to a subgraph; past it, that part of the answer is null with SUBGRAPH_UNAVAILABLE. */
    SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(3_000),
    /** Consecutive subgraph failures that open its circuit (answered at once, without waiting). */
    SUBGRAPH_CIRCUIT_FAILURES: z.coerce.number().int().min(1).max(1_000).default(5),
    /** How long an open circuit waits before one trial request. */
    SUBGRAPH_CIRCUIT_RESET_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
    /** Gateway processes sharing the port, one per core with `auto` (see gateway-workers.ts). */
    GATEWAY_WORKERS: z.union([z.literal('auto'), z.coerce.number().int().min(1).max(256)]).default(1),
    /** Entity fetches one request starts together go to each subgraph as one request (see subgraph-batcher.ts). */
    SUBGRAPH_ENTITY_BATCHING: flag(true),
    /** `compiled`: operations planned and compiled once (graphql/compiled-executor.ts); `stock`: @apollo/gateway's executor. */
    GATEWAY_EXECUTOR: z.enum(['compiled', 'stock']).default('compiled'),
    /** Longest silence from a proxied service (auth, scim, feeds) before the client gets 504. */
    PROXY_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(30_000),
    /**
     * The proxies in front of the gateway whose X-Forwarded-For it believes: `none` (the gateway
     * is the public edge, the default), a hop count, or addresses and CIDRs (@malet/http-server's parseTrustedProxies).
     */
    TRUST_PROXY: trustedProxiesEnv('none'),
  })
  .superRefine(refuseDevSecretsInProduction)
  .superRefine((value, ctx) => {
    if (value.GRAPHQL_PERSISTED_ONLY && !value.GRAPHQL_PERSISTED_OPERATIONS) {
      ctx.addIssue({ code: 'custom', path: ['GRAPHQL_PERSISTED_ONLY'], message: 'needs GRAPHQL_PERSISTED_OPERATIONS (the manifest to allow)' });
    }
  });

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;

export function loadGatewayConfig(env: Record<string, string | undefined> = process.env) {
  const raw = loadConfig(gatewayEnvSchema, env);
  return {
    ...baseConfig(raw),
    services: Object.fromEntries(SERVICES.map((service) => [service.name, raw[service.urlEnv]])) as Record<ServiceName, string>,
    supergraph: {
      path: raw.SUPERGRAPH_PATH ?? committedSupergraphPath,
      /**
       * Where each overridden subgraph is: a suite subgraph whose `<SERVICE>_URL` is set lives at
       * `<that URL>/graphql`, and `SUBGRAPH_URLS` wins over both that and the supergraph's URL.
       * An unset `<SERVICE>_URL` leaves the supergraph's URL alone (for the committed supergraph
       * it is the same dev address), so another supergraph's like-named subgraph is not redirected.
       */
      subgraphUrls: {
        ...Object.fromEntries(
          SUBGRAPH_SERVICES.filter((service) => env[service.urlEnv]).map((service) => [service.name, `${raw[service.urlEnv]}/graphql`]),
        ),
        ...raw.SUBGRAPH_URLS,
      } as Record<string, string>,
      /** Subgraphs SUBGRAPH_URLS names: each must be in the supergraph (a typo stops the gateway). */
      required: Object.keys(raw.SUBGRAPH_URLS ?? {}),
    },
    sessionCache: {
      positiveTtlCapMs: raw.SESSION_CACHE_TTL_MS,
      negativeTtlMs: raw.SESSION_CACHE_NEGATIVE_TTL_MS,
      maxEntries: raw.SESSION_CACHE_MAX_ENTRIES,
      revocationStreamSilenceMs: raw.REVOCATION_STREAM_SILENCE_MS,
    },
    admin: { token: raw.ADMIN_TOKEN, port: raw.ADMIN_PORT, host: raw.ADMIN_HOST },
    workers: raw.GATEWAY_WORKERS === 'auto' ? availableParallelism() : raw.GATEWAY_WORKERS,
    graphql: {
      bodyLimit: raw.GRAPHQL_BODY_LIMIT,
      limits: {
        tokens: raw.GRAPHQL_MAX_TOKENS,
        depth: raw.GRAPHQL_MAX_DEPTH,
        aliases: raw.GRAPHQL_MAX_ALIASES,
        directives: raw.GRAPHQL_MAX_DIRECTIVES,
        cost: raw.GRAPHQL_MAX_COST,
      },
      rateLimit: { points: raw.GRAPHQL_RATE_LIMIT, windowSeconds: raw.GRAPHQL_RATE_LIMIT_WINDOW_SECONDS },
      persisted: raw.GRAPHQL_PERSISTED_OPERATIONS ? { path: raw.GRAPHQL_PERSISTED_OPERATIONS, only: raw.GRAPHQL_PERSISTED_ONLY } : null,
      csrfTrustedOrigins: raw.CSRF_TRUSTED_ORIGINS.split(',').map((origin) => origin.trim()).filter(Boolean),
    },
    proxyTimeoutMs: raw.PROXY_TIMEOUT_MS,
    trustedProxies: raw.TRUST_PROXY,
    subgraphs: {
      timeoutMs: raw.SUBGRAPH_TIMEOUT_MS,
      entityBatching: raw.SUBGRAPH_ENTITY_BATCHING,
      executor: raw.GATEWAY_EXECUTOR,
      circuit: { failureThreshold: raw.SUBGRAPH_CIRCUIT_FAILURES, resetMs: raw.SUBGRAPH_CIRCUIT_RESET_MS },
    },
  };
}
