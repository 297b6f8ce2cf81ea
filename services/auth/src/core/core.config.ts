import { baseConfig, baseEnvShape, flag, httpUrl, port, postgresUrl, preparedStatements, refuseDevSecretsInProduction, z } from '@malet/config';
import { trustedProxiesEnv } from '@malet/http-server';

/** Published, so refused in production like the internal token secret. */
const DEV_OTP_HMAC_SECRET = 'dev-only-otp-hmac-secret-change-me-0123456789abcdef';

/** The mail catcher `pnpm dev` starts: where mail goes unless SMTP_URL says otherwise (never in production). */
export const DEV_SMTP_URL = 'smtp://127.0.0.1:1025';

/**
 * A secret made of one repeated character, such as the all-zero placeholders of `.env.example`:
 * copied unchanged, it is public. Production refuses it.
 */
export function isPlaceholderSecret(value: string | Uint8Array): boolean {
  const items = typeof value === 'string' ? [...value] : [...value];
  return items.every((item) => item === items[0]);
}

/** Adds the issue `<KEY>: <message>` (the value is never quoted). */
const refuse = (ctx: z.RefinementCtx, key: string, message: string) => ctx.addIssue({ code: 'custom', path: [key], message });

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
  DATABASE_PREPARED_STATEMENTS: preparedStatements,
  USERS_URL: httpUrl.default('http://127.0.0.1:3010'),
  SESSION_TTL_SECONDS: z.coerce.number().int().min(60).max(31_536_000).default(86_400),
  /** How long after signing in a session may make `recent`-access changes without signing in again. */
  RECENT_SIGN_IN_SECONDS: z.coerce.number().int().min(30).max(86_400).default(600),
  /**
   * Refresh tokens: how long after a rotation the same client may present the rotated token
   * again and get the same successor (0: never), and how long a family lives at most.
   */
  REFRESH_TOKEN_REUSE_GRACE_SECONDS: z.coerce.number().int().min(0).max(60).default(10),
  REFRESH_TOKEN_ABSOLUTE_LIFETIME_SECONDS: z.coerce.number().int().min(3600).max(31_536_000).default(90 * 86_400),
  COOKIE_SECURE: flag(true),
  COOKIE_DOMAIN: z.string().optional(),
  OUTBOX_POLL_MS: z.coerce.number().int().min(50).default(1_000),
  /** Outgoing mail. Unset, mail goes to the local mail catcher (DEV_SMTP_URL), which production refuses. */
  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').optional(),
  MAIL_FROM: z.string().default('Malet <no-reply@malet.localhost>'),
  /** Where auth is reachable by browsers: the base of links in emails. */
  PUBLIC_URL: httpUrl.default('http://localhost:3008'),
  /**
   * Which hops may set X-Forwarded-For (express `trust proxy`): per-IP rate limits and audit
   * rows see the client behind them. `none`, a hop count (`N` or `hops:N`: the N nearest hops are
   * proxies) or a list of addresses, CIDRs and loopback/linklocal/uniquelocal (@malet/http-server's
   * parseTrustedProxies, the gateway's syntax too). The gateway on loopback in dev; in a cluster,
   * the gateway's network (e.g. `loopback, uniquelocal`), or every client shares the gateway's IP.
   */
  TRUST_PROXY: trustedProxiesEnv('loopback'),
  /** Rate limits (core/rate-limit). Off only in tests that do not exercise them. */
  RATE_LIMITS_ENABLED: flag(true),
  /** Mails one address may receive a day, whoever asks (strangers to the address get half). */
  MAIL_DAILY_LIMIT_PER_ADDRESS: z.coerce.number().int().min(2).max(10_000).default(50),
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

/**
 * Production refuses what is only safe on a laptop, each with the variable named: published and
 * placeholder secrets, rate limits off, cookies without `Secure`, and mail to the local catcher.
 */
export function refineCoreEnv(value: CoreEnv, ctx: z.RefinementCtx): void {
  refuseDevSecretsInProduction(value, ctx);
  if (value.NODE_ENV !== 'production') return;
  if (value.OTP_HMAC_SECRET === DEV_OTP_HMAC_SECRET) refuse(ctx, 'OTP_HMAC_SECRET', 'must be set in production');
  for (const key of ['INTERNAL_TOKEN_SECRET', 'OTP_HMAC_SECRET'] as const) {
    if (isPlaceholderSecret(value[key])) refuse(ctx, key, 'must not be a placeholder (one repeated character) in production');
  }
  if (!value.RATE_LIMITS_ENABLED) refuse(ctx, 'RATE_LIMITS_ENABLED', 'must not be false in production');
  if (!value.COOKIE_SECURE) refuse(ctx, 'COOKIE_SECURE', 'must not be false in production: session cookies need the Secure flag');
  if (value.SMTP_URL === undefined) refuse(ctx, 'SMTP_URL', 'must be set in production (unset, mail would go to the local mail catcher)');
}

export function coreConfigFrom(raw: CoreEnv) {
  return {
    ...baseConfig(raw),
    databaseUrl: raw.DATABASE_URL,
    databasePreparedStatements: raw.DATABASE_PREPARED_STATEMENTS,
    usersUrl: raw.USERS_URL,
    session: { ttlSeconds: raw.SESSION_TTL_SECONDS, recentSignInSeconds: raw.RECENT_SIGN_IN_SECONDS },
    refreshTokens: { reuseGraceSeconds: raw.REFRESH_TOKEN_REUSE_GRACE_SECONDS, familyLifetimeSeconds: raw.REFRESH_TOKEN_ABSOLUTE_LIFETIME_SECONDS },
    cookie: { secure: raw.COOKIE_SECURE, domain: raw.COOKIE_DOMAIN },
    outbox: { pollMs: raw.OUTBOX_POLL_MS },
    mail: { smtpUrl: raw.SMTP_URL ?? DEV_SMTP_URL, from: raw.MAIL_FROM },
    publicUrl: raw.PUBLIC_URL,
    trustedProxies: raw.TRUST_PROXY,
    rateLimits: { enabled: raw.RATE_LIMITS_ENABLED, keyPrefix: raw.RATE_LIMIT_KEY_PREFIX, dailyMailsPerAddress: raw.MAIL_DAILY_LIMIT_PER_ADDRESS },
    otp: { hmacSecret: raw.OTP_HMAC_SECRET },
    returnToAllowlist: raw.RETURN_TO_ALLOWLIST,
    csrf: { trustedOrigins: raw.CSRF_TRUSTED_ORIGINS },
  };
}

export type CoreConfig = ReturnType<typeof coreConfigFrom>;
