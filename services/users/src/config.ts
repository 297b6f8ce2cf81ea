import { baseEnvShape, loadConfig, port, postgresUrl, refuseDevSecretsInProduction, z } from '@malet/config';

export const usersEnvSchema = z
  .object({
    ...baseEnvShape,
    PORT: port(3010),
    DATABASE_URL: postgresUrl.default('postgres://postgres:postgres@127.0.0.1:5432/malet_users'),
  })
  .superRefine(refuseDevSecretsInProduction);

export type UsersConfig = ReturnType<typeof loadUsersConfig>;

export function loadUsersConfig(env: Record<string, string | undefined> = process.env) {
  const raw = loadConfig(usersEnvSchema, env);
  return {
    production: raw.NODE_ENV === 'production',
    logLevel: raw.LOG_LEVEL,
    http: { host: raw.HOST, port: raw.PORT, shutdownGraceMs: raw.SHUTDOWN_GRACE_MS },
    databaseUrl: raw.DATABASE_URL,
    internalTokenSecret: raw.INTERNAL_TOKEN_SECRET,
  };
}
