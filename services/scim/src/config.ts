import { baseConfig, baseEnvShape, httpUrl, loadConfig, port, postgresUrl, preparedStatements, refuseDevSecretsInProduction, z } from '@malet/config';

export const scimEnvSchema = z
  .object({
    ...baseEnvShape,
    PORT: port(3019),
    DATABASE_URL: postgresUrl.default('postgres://postgres:postgres@127.0.0.1:5432/malet_scim'),
    DATABASE_PREPARED_STATEMENTS: preparedStatements,
    /** Base of the `meta.location` URLs SCIM clients see (the gateway's public URL in production). */
    PUBLIC_URL: httpUrl.default('http://localhost:3019'),
    /** Auth mints the identities of provisioned users and consumes the deprovisioning events. */
    AUTH_URL: httpUrl.default('http://127.0.0.1:3008'),
    /** Organizations verifies SCIM tokens and consumes user and group events. */
    ORGANIZATIONS_URL: httpUrl.default('http://127.0.0.1:3011'),
    /** How long a verified SCIM token is trusted before organizations is asked again (a revoked token lives at most this long). */
    SCIM_TOKEN_CACHE_TTL_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
    OUTBOX_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
  })
  .superRefine(refuseDevSecretsInProduction);

export type ScimConfig = ReturnType<typeof loadScimConfig>;

export function loadScimConfig(env: Record<string, string | undefined> = process.env) {
  const raw = loadConfig(scimEnvSchema, env);
  return {
    ...baseConfig(raw),
    databaseUrl: raw.DATABASE_URL,
    databasePreparedStatements: raw.DATABASE_PREPARED_STATEMENTS,
    publicUrl: raw.PUBLIC_URL,
    authUrl: raw.AUTH_URL,
    organizationsUrl: raw.ORGANIZATIONS_URL,
    tokenCacheTtlMs: raw.SCIM_TOKEN_CACHE_TTL_MS,
    outbox: { pollMs: raw.OUTBOX_POLL_MS },
  };
}
