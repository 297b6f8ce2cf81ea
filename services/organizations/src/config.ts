import { baseConfig, baseEnvShape, flag, httpUrl, loadConfig, port, postgresUrl, preparedStatements, refuseDevSecretsInProduction, z } from '@malet/config';

export const organizationsEnvSchema = z
  .object({
    ...baseEnvShape,
    PORT: port(3011),
    DATABASE_URL: postgresUrl.default('postgres://postgres:postgres@127.0.0.1:5432/malet_organizations'),
    DATABASE_PREPARED_STATEMENTS: preparedStatements,
    SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').default('smtp://127.0.0.1:1025'),
    MAIL_FROM: z.string().default('Malet <no-reply@malet.localhost>'),
    /** Base of the link in invitation emails (the web app). */
    PUBLIC_URL: httpUrl.default('http://localhost:30000'),
    /** DNS servers (`host` or `host:port`, comma-separated) for domain proofs; empty uses the system's. */
    DNS_SERVERS: z
      .string()
      .default('')
      .transform((value) => value.split(',').map((server) => server.trim()).filter(Boolean)),
    /** Dev only: verify domains without the DNS proof. Refused in production. */
    DOMAIN_VERIFICATION_SKIP_PROOF: flag(false),
  })
  .superRefine(refuseDevSecretsInProduction)
  .superRefine((value, ctx) => {
    if (value.NODE_ENV === 'production' && value.DOMAIN_VERIFICATION_SKIP_PROOF) {
      ctx.addIssue({ code: 'custom', path: ['DOMAIN_VERIFICATION_SKIP_PROOF'], message: 'must be off in production' });
    }
  });

export type OrganizationsConfig = ReturnType<typeof loadOrganizationsConfig>;

export function loadOrganizationsConfig(env: Record<string, string | undefined> = process.env) {
  const raw = loadConfig(organizationsEnvSchema, env);
  return {
    ...baseConfig(raw),
    databaseUrl: raw.DATABASE_URL,
    databasePreparedStatements: raw.DATABASE_PREPARED_STATEMENTS,
    mail: { smtpUrl: raw.SMTP_URL, from: raw.MAIL_FROM },
    publicUrl: raw.PUBLIC_URL,
    domains: { dnsServers: raw.DNS_SERVERS, skipProof: raw.DOMAIN_VERIFICATION_SKIP_PROOF },
  };
}
