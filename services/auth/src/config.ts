import { baseEnvShape, flag, httpUrl, loadConfig, port, postgresUrl, refuseDevSecretsInProduction, z } from '@malet/config';

export const authEnvSchema = z
  .object({
    ...baseEnvShape,
    PORT: port(3008),
    DATABASE_URL: postgresUrl.default('postgres://postgres:postgres@127.0.0.1:5432/malet_auth'),
    USERS_URL: httpUrl.default('http://127.0.0.1:3010'),
    DEV_MODE: flag(false),
    /** Comma-separated emails created at start-up in dev mode (the seed's users). */
    DEV_SEED_EMAILS: z.string().default('user@example.com,admin@example.com'),
    DEV_ADMIN_EMAILS: z.string().default('admin@example.com'),
    SESSION_TTL_SECONDS: z.coerce.number().int().min(60).max(31_536_000).default(86_400),
    COOKIE_SECURE: flag(true),
    COOKIE_DOMAIN: z.string().optional(),
    OUTBOX_POLL_MS: z.coerce.number().int().min(50).default(1_000),
    SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').default('smtp://127.0.0.1:1025'),
    MAIL_FROM: z.string().default('Malet <no-reply@malet.localhost>'),
    /** Where auth is reachable by browsers: the base of links in emails. */
    PUBLIC_URL: httpUrl.default('http://localhost:3008'),
  })
  .superRefine((value, ctx) => {
    refuseDevSecretsInProduction(value, ctx);
    if (value.NODE_ENV === 'production' && value.DEV_MODE) {
      ctx.addIssue({ code: 'custom', path: ['DEV_MODE'], message: 'must not be true in production' });
    }
  });

export type AuthConfig = ReturnType<typeof loadAuthConfig>;

export function loadAuthConfig(env: Record<string, string | undefined> = process.env) {
  const raw = loadConfig(authEnvSchema, env);
  const list = (value: string) =>
    value
      .split(',')
      .map((item) => item.trim().toLowerCase())
      .filter(Boolean);
  return {
    production: raw.NODE_ENV === 'production',
    logLevel: raw.LOG_LEVEL,
    http: { host: raw.HOST, port: raw.PORT, shutdownGraceMs: raw.SHUTDOWN_GRACE_MS },
    databaseUrl: raw.DATABASE_URL,
    redisUrl: raw.REDIS_URL,
    internalTokenSecret: raw.INTERNAL_TOKEN_SECRET,
    usersUrl: raw.USERS_URL,
    dev: { enabled: raw.DEV_MODE, seedEmails: list(raw.DEV_SEED_EMAILS), adminEmails: list(raw.DEV_ADMIN_EMAILS) },
    session: { ttlSeconds: raw.SESSION_TTL_SECONDS },
    cookie: { secure: raw.COOKIE_SECURE, domain: raw.COOKIE_DOMAIN },
    outbox: { pollMs: raw.OUTBOX_POLL_MS },
    mail: { smtpUrl: raw.SMTP_URL, from: raw.MAIL_FROM },
    publicUrl: raw.PUBLIC_URL,
  };
}
