import { baseConfig, baseEnvShape, loadConfig, port, postgresUrl, preparedStatements, refuseDevSecretsInProduction, z } from '@malet/config';

export const usersEnvSchema = z
  .object({
    ...baseEnvShape,
    PORT: port(3010),
    DATABASE_URL: postgresUrl.default('postgres://postgres:postgres@127.0.0.1:5432/malet_users'),
    DATABASE_PREPARED_STATEMENTS: preparedStatements,
  })
  .superRefine(refuseDevSecretsInProduction);

export type UsersConfig = ReturnType<typeof loadUsersConfig>;

export function loadUsersConfig(env: Record<string, string | undefined> = process.env) {
  const raw = loadConfig(usersEnvSchema, env);
  return {
    ...baseConfig(raw),
    databaseUrl: raw.DATABASE_URL,
    databasePreparedStatements: raw.DATABASE_PREPARED_STATEMENTS,
  };
}
