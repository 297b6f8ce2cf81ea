import { baseConfig, baseEnvShape, flag, httpUrl, port, postgresUrl, refuseDevSecretsInProduction, z } from '@malet/config';

/** Published, so refused in production like the internal token secret. */
const DEV_OTP_HMAC_SECRET = 'dev-only-otp-hmac-secret-change-me-0123456789abcdef';

/** Comma-separated http(s) origins, each reduced to its canonical `scheme://host[:port]` form. */
export const originList = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine(
      (value) => value.split(',').every((item) => !item.trim() || /^https?:\/\/[^/\s?#]+\/?$/.test(item.trim())),
      'must be comma-separated http(s) origins (scheme://host[:port])',
    )
    .transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)
        .map((item) => new URL(item).origin),
    );

/** The environment every part of auth reads: HTTP, database, sessions and cookies, mail, limits. */
export const coreEnvShape = {
  ...baseEnvShape,
  PORT: port(3008),
  DATABASE_URL: postgresUrl.default('postgres://postgres:postgres@127.0.0.1:5432/malet_auth'),
  USERS_URL: httpUrl.default('http://127.0.0.1:3010'),
  SESSION_TTL_SECONDS: z.coerce.number().int().min(60).max(31_536_000).default(86_400),
  /** How long after signing in a session may make `recent`-access changes without signing in again. */
  RECENT_SIGN_IN_SECONDS: z.coerce.number().int().min(30).max(86_400).default(600),
  COOKIE_SECURE: flag(true),
  COOKIE_DOMAIN: z.string().optional(),
  OUTBOX_POLL_MS: z.coerce.number().int().min(50).default(1_000),
  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').default('smtp://127.0.0.1:1025'),
  MAIL_FROM: z.string().default('Malet <no-reply@malet.localhost>'),
  /** Where auth is reachable by browsers: the base of links in emails. */
  PUBLIC_URL: httpUrl.default('http://localhost:3008'),
  /**
   * Which hops may set X-Forwarded-For (express `trust proxy`): per-IP rate limits and audit
   * rows see the client behind them. The gateway on loopback in dev; in a cluster, list the
   * gateway's network (e.g. `loopback, 10.0.0.0/8`), or every client shares the gateway's IP.
   */
  TRUST_PROXY: z
    .string()
    .regex(/^[0-9A-Za-z.:/,\s]+$/, 'must be comma-separated addresses, CIDRs or loopback/linklocal/uniquelocal')
    .default('loopback'),
  /** Rate limits (core/rate-limit). Off only in tests that do not exercise them. */
  RATE_LIMITS_ENABLED: flag(true),
  /** Namespace of the limiter counters in Redis; replicas of one deployment share it. */
  RATE_LIMIT_KEY_PREFIX: z.string().min(1).max(64).default('malet:rl'),
  /** Keys the HMAC of stored 6-digit codes, so a database dump cannot be brute-forced offline. */
  OTP_HMAC_SECRET: z.string().min(32, 'must be at least 32 characters').default(DEV_OTP_HMAC_SECRET),
  /** Origins (comma-separated) a magic link may send the browser back to after sign-in. */
  RETURN_TO_ALLOWLIST: originList('http://localhost:3000,http://localhost:30000'),
  /** Origins (comma-separated) allowed to make cookie-authenticated state-changing requests. */
  CSRF_TRUSTED_ORIGINS: originList('http://localhost:3000,http://localhost:30000,http://localhost:3008'),
};

type CoreEnv = z.infer<z.ZodObject<typeof coreEnvShape>>;

export function refineCoreEnv(value: CoreEnv, ctx: z.RefinementCtx): void {
  refuseDevSecretsInProduction(value, ctx);
  if (value.NODE_ENV === 'production' && value.OTP_HMAC_SECRET === DEV_OTP_HMAC_SECRET) {
    ctx.addIssue({ code: 'custom', path: ['OTP_HMAC_SECRET'], message: 'must be set in production' });
  }
}

export function coreConfigFrom(raw: CoreEnv) {
  return {
    ...baseConfig(raw),
    databaseUrl: raw.DATABASE_URL,
    usersUrl: raw.USERS_URL,
    session: { ttlSeconds: raw.SESSION_TTL_SECONDS, recentSignInSeconds: raw.RECENT_SIGN_IN_SECONDS },
    cookie: { secure: raw.COOKIE_SECURE, domain: raw.COOKIE_DOMAIN },
    outbox: { pollMs: raw.OUTBOX_POLL_MS },
    mail: { smtpUrl: raw.SMTP_URL, from: raw.MAIL_FROM },
    publicUrl: raw.PUBLIC_URL,
    trustProxy: raw.TRUST_PROXY.split(',').map((hop) => hop.trim()).filter(Boolean),
    rateLimits: { enabled: raw.RATE_LIMITS_ENABLED, keyPrefix: raw.RATE_LIMIT_KEY_PREFIX },
    otp: { hmacSecret: raw.OTP_HMAC_SECRET },
    returnToAllowlist: raw.RETURN_TO_ALLOWLIST,
    csrf: { trustedOrigins: raw.CSRF_TRUSTED_ORIGINS },
  };
}

export type CoreConfig = ReturnType<typeof coreConfigFrom>;
