import { baseConfig, baseEnvShape, flag, httpUrl, loadConfig, port, postgresUrl, refuseDevSecretsInProduction, z } from '@malet/config';
import { parseSecretKey } from './domain/secret-box';

/** Published, so refused in production like the internal token secret. */
const DEV_OTP_HMAC_SECRET = 'dev-only-otp-hmac-secret-change-me-0123456789abcdef';

/** Published (hex of `dev-only-mfa-key-change-me-01234`), so refused in production. */
const DEV_MFA_ENCRYPTION_KEY = '6465762d6f6e6c792d6d66612d6b65792d6368616e67652d6d652d3031323334';

/** 32 bytes as 64 hex characters or base64/base64url (domain/secret-box.ts parseSecretKey). */
const aes256Key = z.string().refine((value) => parseSecretKey(value) !== null, 'must be 32 bytes, hex or base64');

/** Comma-separated http(s) origins, each reduced to its canonical `scheme://host[:port]` form. */
const originList = (fallback: string) =>
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
    /**
     * Which hops may set X-Forwarded-For (express `trust proxy`): per-IP rate limits and audit
     * rows see the client behind them. The gateway on loopback in dev; in a cluster, list the
     * gateway's network (e.g. `loopback, 10.0.0.0/8`), or every client shares the gateway's IP.
     */
    TRUST_PROXY: z
      .string()
      .regex(/^[0-9A-Za-z.:/,\s]+$/, 'must be comma-separated addresses, CIDRs or loopback/linklocal/uniquelocal')
      .default('loopback'),
    /** Rate limits (routes/rate-limit.ts). Off only in tests that do not exercise them. */
    RATE_LIMITS_ENABLED: flag(true),
    /** Namespace of the limiter counters in Redis; replicas of one deployment share it. */
    RATE_LIMIT_KEY_PREFIX: z.string().min(1).max(64).default('malet:rl'),
    /** Keys the HMAC of stored 6-digit codes, so a database dump cannot be brute-forced offline. */
    OTP_HMAC_SECRET: z.string().min(32, 'must be at least 32 characters').default(DEV_OTP_HMAC_SECRET),
    /** Origins (comma-separated) a magic link may send the browser back to after sign-in. */
    RETURN_TO_ALLOWLIST: originList('http://localhost:3000,http://localhost:30000'),
    /** Origins (comma-separated) allowed to make cookie-authenticated state-changing requests. */
    CSRF_TRUSTED_ORIGINS: originList('http://localhost:3000,http://localhost:30000,http://localhost:3008'),
    /** Seals MFA secrets at rest (AES-256-GCM). Rotate by moving the old key to MFA_ENCRYPTION_PREVIOUS_KEYS. */
    MFA_ENCRYPTION_KEY: aes256Key.default(DEV_MFA_ENCRYPTION_KEY),
    /** Written into every sealed value, so the right key opens it after a rotation. */
    MFA_ENCRYPTION_KEY_ID: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'must be 1-32 characters of [A-Za-z0-9_-]').default('k1'),
    /** Retired keys that still open old values: comma-separated `id:key`. */
    MFA_ENCRYPTION_PREVIOUS_KEYS: z
      .string()
      .default('')
      .refine(
        (value) =>
          value
            .split(',')
            .map((item) => item.trim())
            .every((item) => !item || (/^[A-Za-z0-9_-]{1,32}:/.test(item) && parseSecretKey(item.slice(item.indexOf(':') + 1)) !== null)),
        'must be comma-separated id:key pairs (32-byte keys, hex or base64)',
      ),
    /** Where SMS codes go: `dev` mails them to the catcher (sms+<digits>@sms.malet.localhost), `twilio` texts them. */
    SMS_PROVIDER: z.enum(['dev', 'twilio']).default('dev'),
    TWILIO_ACCOUNT_SID: z.string().optional(),
    TWILIO_AUTH_TOKEN: z.string().optional(),
    /** The sending number (E.164) or messaging service SID. */
    TWILIO_FROM: z.string().optional(),
    TWILIO_API_BASE_URL: httpUrl.default('https://api.twilio.com'),
    /** argon2id cost (OWASP: 19456 KiB, 2 passes, 1 lane). Stored hashes with other costs are rehashed at login. */
    PASSWORD_ARGON2_MEMORY_KIB: z.coerce.number().int().min(1024).max(4_194_304).default(19_456),
    PASSWORD_ARGON2_TIME_COST: z.coerce.number().int().min(1).max(20).default(2),
    PASSWORD_ARGON2_PARALLELISM: z.coerce.number().int().min(1).max(16).default(1),
    /** Failed passwords per email before password sign-in pauses; the pause doubles per further failure up to the cap. */
    PASSWORD_LOCKOUT_THRESHOLD: z.coerce.number().int().min(1).max(100).default(5),
    PASSWORD_LOCKOUT_BASE_SECONDS: z.coerce.number().int().min(1).max(3_600).default(30),
    PASSWORD_LOCKOUT_MAX_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
    /** Reject passwords found in breaches via Have I Been Pwned's range API (k-anonymity). */
    HIBP_ENABLED: flag(false),
    HIBP_API_URL: httpUrl.default('https://api.pwnedpasswords.com'),
    HIBP_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(2_000),
  })
  .superRefine((value, ctx) => {
    refuseDevSecretsInProduction(value, ctx);
    if (value.NODE_ENV === 'production' && value.OTP_HMAC_SECRET === DEV_OTP_HMAC_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['OTP_HMAC_SECRET'], message: 'must be set in production' });
    }
    if (value.NODE_ENV === 'production' && value.MFA_ENCRYPTION_KEY === DEV_MFA_ENCRYPTION_KEY) {
      ctx.addIssue({ code: 'custom', path: ['MFA_ENCRYPTION_KEY'], message: 'must be set in production' });
    }
    if (value.SMS_PROVIDER === 'twilio') {
      for (const key of ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM'] as const) {
        if (!value[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'is required when SMS_PROVIDER=twilio' });
      }
    }
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
    ...baseConfig(raw),
    databaseUrl: raw.DATABASE_URL,
    usersUrl: raw.USERS_URL,
    dev: { enabled: raw.DEV_MODE, seedEmails: list(raw.DEV_SEED_EMAILS), adminEmails: list(raw.DEV_ADMIN_EMAILS) },
    session: { ttlSeconds: raw.SESSION_TTL_SECONDS },
    cookie: { secure: raw.COOKIE_SECURE, domain: raw.COOKIE_DOMAIN },
    outbox: { pollMs: raw.OUTBOX_POLL_MS },
    mail: { smtpUrl: raw.SMTP_URL, from: raw.MAIL_FROM },
    publicUrl: raw.PUBLIC_URL,
    trustProxy: raw.TRUST_PROXY.split(',').map((hop) => hop.trim()).filter(Boolean),
    rateLimits: { enabled: raw.RATE_LIMITS_ENABLED, keyPrefix: raw.RATE_LIMIT_KEY_PREFIX },
    otp: { hmacSecret: raw.OTP_HMAC_SECRET },
    returnToAllowlist: raw.RETURN_TO_ALLOWLIST,
    csrf: { trustedOrigins: raw.CSRF_TRUSTED_ORIGINS },
    mfa: {
      encryptionKey: { id: raw.MFA_ENCRYPTION_KEY_ID, key: parseSecretKey(raw.MFA_ENCRYPTION_KEY)! },
      previousEncryptionKeys: raw.MFA_ENCRYPTION_PREVIOUS_KEYS.split(',')
        .map((item) => item.trim())
        .filter(Boolean)
        .map((item) => ({ id: item.slice(0, item.indexOf(':')), key: parseSecretKey(item.slice(item.indexOf(':') + 1))! })),
    },
    sms:
      raw.SMS_PROVIDER === 'twilio'
        ? {
            provider: 'twilio' as const,
            accountSid: raw.TWILIO_ACCOUNT_SID!,
            authToken: raw.TWILIO_AUTH_TOKEN!,
            from: raw.TWILIO_FROM!,
            apiBaseUrl: raw.TWILIO_API_BASE_URL,
          }
        : { provider: 'dev' as const },
    passwords: {
      argon2: {
        memoryCost: raw.PASSWORD_ARGON2_MEMORY_KIB,
        timeCost: raw.PASSWORD_ARGON2_TIME_COST,
        parallelism: raw.PASSWORD_ARGON2_PARALLELISM,
      },
      lockout: {
        threshold: raw.PASSWORD_LOCKOUT_THRESHOLD,
        baseSeconds: raw.PASSWORD_LOCKOUT_BASE_SECONDS,
        maxSeconds: raw.PASSWORD_LOCKOUT_MAX_SECONDS,
      },
      hibp: { enabled: raw.HIBP_ENABLED, apiUrl: raw.HIBP_API_URL, timeoutMs: raw.HIBP_TIMEOUT_MS },
    },
  };
}
