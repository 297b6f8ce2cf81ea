import { baseConfig, baseEnvShape, loadConfig, port, postgresUrl, refuseDevSecretsInProduction, z } from '@malet/config';

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
    ...baseConfig(raw),
    databaseUrl: raw.DATABASE_URL,
  };
}
