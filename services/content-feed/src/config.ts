import { baseConfig, baseEnvShape, httpUrl, loadConfig, port, postgresUrl, preparedStatements, refuseDevSecretsInProduction, z } from '@malet/config';

export const contentFeedEnvSchema = z
  .object({
    ...baseEnvShape,
    PORT: port(3012),
    DATABASE_URL: postgresUrl.default('postgres://postgres:postgres@127.0.0.1:5432/malet_content_feed'),
    DATABASE_PREPARED_STATEMENTS: preparedStatements,
    /**
     * Where crawlers and readers reach the feeds (the gateway): every URL in a sitemap or feed is
     * absolute under it. Bounded in length so one sitemap entry always fits the size budget
     * (see domain/feeds/sitemap.ts).
     */
    PUBLIC_BASE_URL: httpUrl
      .default('http://localhost:30000')
      .refine((value) => value.length <= 200, 'must be at most 200 characters')
      .refine((value) => /^https?:\/\/[A-Za-z0-9.:[\]-]+(\/[A-Za-z0-9._~%/-]*)?$/.test(value), 'must be a plain http(s) URL without query or fragment'),
  })
  .superRefine(refuseDevSecretsInProduction);

export type ContentFeedConfig = ReturnType<typeof loadContentFeedConfig>;

export function loadContentFeedConfig(env: Record<string, string | undefined> = process.env) {
  const raw = loadConfig(contentFeedEnvSchema, env);
  return {
    ...baseConfig(raw),
    databaseUrl: raw.DATABASE_URL,
    databasePreparedStatements: raw.DATABASE_PREPARED_STATEMENTS,
    publicBaseUrl: raw.PUBLIC_BASE_URL,
  };
}
