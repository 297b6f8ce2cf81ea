import { baseEnvShape, loadConfig, port, postgresUrl, refuseDevSecretsInProduction, z } from '@malet/config';

export const organizationsEnvSchema = z
  .object({
    ...baseEnvShape,
    PORT: port(3011),
    DATABASE_URL: postgresUrl.default('postgres://postgres:postgres@127.0.0.1:5432/malet_organizations'),
  })
  .superRefine(refuseDevSecretsInProduction);

export type OrganizationsConfig = ReturnType<typeof loadOrganizationsConfig>;

export function loadOrganizationsConfig(env: Record<string, string | undefined> = process.env) {
  const raw = loadConfig(organizationsEnvSchema, env);
  return {
    production: raw.NODE_ENV === 'production',
    logLevel: raw.LOG_LEVEL,
    http: { host: raw.HOST, port: raw.PORT, shutdownGraceMs: raw.SHUTDOWN_GRACE_MS },
    databaseUrl: raw.DATABASE_URL,
    internalTokenSecret: raw.INTERNAL_TOKEN_SECRET,
  };
}
