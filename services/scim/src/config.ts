import { baseConfig, baseEnvShape, httpUrl, loadConfig, port, postgresUrl, refuseDevSecretsInProduction, z } from '@malet/config';

export const scimEnvSchema = z
  .object({
    ...baseEnvShape,
    PORT: port(3019),
    DATABASE_URL: postgresUrl.default('postgres://postgres:postgres@127.0.0.1:5432/malet_scim'),
    /** Base of the `meta.location` URLs SCIM clients see. */
    PUBLIC_URL: httpUrl.default('http://localhost:3019'),
  })
  .superRefine(refuseDevSecretsInProduction);

export type ScimConfig = ReturnType<typeof loadScimConfig>;

export function loadScimConfig(env: Record<string, string | undefined> = process.env) {
  const raw = loadConfig(scimEnvSchema, env);
  return {
    ...baseConfig(raw),
    databaseUrl: raw.DATABASE_URL,
    publicUrl: raw.PUBLIC_URL,
  };
}
