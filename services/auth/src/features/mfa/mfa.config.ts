import { z } from 'zod';
import { httpUrl } from '@malet/config';
import { isPlaceholderSecret } from '../../core/core.config';
import { parseSecretKey } from '../../core/secret-box';

/** Published (hex of `dev-only-mfa-key-change-me-01234`), so refused in production. */
const DEV_MFA_ENCRYPTION_KEY = '6465762d6f6e6c792d6d66612d6b65792d6368616e67652d6d652d3031323334';

/** 32 bytes as 64 hex characters or base64/base64url (core/secret-box.ts parseSecretKey). */
const aes256Key = z.string().refine((value) => parseSecretKey(value) !== null, 'must be 32 bytes, hex or base64');

/** Sealing of MFA secrets at rest, and where SMS codes go. */
export const mfaEnvShape = {
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
  /**
   * Where SMS codes go: `dev` mails them to the catcher (sms+<digits>@sms.malet.localhost),
   * `twilio` texts them, `none` turns SMS off (no SMS enrolment or codes). Unset: `dev`, or
   * `none` in production, which refuses `dev`.
   */
  SMS_PROVIDER: z.enum(['dev', 'twilio', 'none']).optional(),
  /** Texts the whole service may send in an hour (toll fraud, SMS bombing); each number gets at most 5 an hour and 10 a day. */
  SMS_GLOBAL_HOURLY_LIMIT: z.coerce.number().int().min(1).max(1_000_000).default(500),
  TWILIO_ACCOUNT_SID: z.string().optional(),
  TWILIO_AUTH_TOKEN: z.string().optional(),
  /** The sending number (E.164) or messaging service SID. */
  TWILIO_FROM: z.string().optional(),
  TWILIO_API_BASE_URL: httpUrl.default('https://api.twilio.com'),
};

type MfaEnv = z.infer<z.ZodObject<typeof mfaEnvShape>> & { NODE_ENV: string };

export function refineMfaEnv(value: MfaEnv, ctx: z.RefinementCtx): void {
  if (value.NODE_ENV === 'production') {
    if (value.MFA_ENCRYPTION_KEY === DEV_MFA_ENCRYPTION_KEY) {
      ctx.addIssue({ code: 'custom', path: ['MFA_ENCRYPTION_KEY'], message: 'must be set in production' });
    } else if (isPlaceholderSecret(parseSecretKey(value.MFA_ENCRYPTION_KEY) ?? 'not a key')) {
      ctx.addIssue({ code: 'custom', path: ['MFA_ENCRYPTION_KEY'], message: 'must not be a placeholder (one repeated byte) in production' });
    }
    if (value.SMS_PROVIDER === 'dev') {
      ctx.addIssue({ code: 'custom', path: ['SMS_PROVIDER'], message: 'must not be dev in production (it mails codes to the local catcher): twilio or none' });
    }
  }
  if (value.SMS_PROVIDER === 'twilio') {
    for (const key of ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM'] as const) {
      if (!value[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'is required when SMS_PROVIDER=twilio' });
    }
  }
}

export function mfaConfigFrom(raw: MfaEnv) {
  const provider = raw.SMS_PROVIDER ?? (raw.NODE_ENV === 'production' ? 'none' : 'dev');
  return {
    encryptionKey: { id: raw.MFA_ENCRYPTION_KEY_ID, key: parseSecretKey(raw.MFA_ENCRYPTION_KEY)! },
    previousEncryptionKeys: raw.MFA_ENCRYPTION_PREVIOUS_KEYS.split(',')
      .map((item) => item.trim())
      .filter(Boolean)
      .map((item) => ({ id: item.slice(0, item.indexOf(':')), key: parseSecretKey(item.slice(item.indexOf(':') + 1))! })),
    sms:
      provider === 'twilio'
        ? {
            provider: 'twilio' as const,
            accountSid: raw.TWILIO_ACCOUNT_SID!,
            authToken: raw.TWILIO_AUTH_TOKEN!,
            from: raw.TWILIO_FROM!,
            apiBaseUrl: raw.TWILIO_API_BASE_URL,
          }
        : { provider },
    smsGlobalHourlyLimit: raw.SMS_GLOBAL_HOURLY_LIMIT,
  };
}

export type MfaConfig = ReturnType<typeof mfaConfigFrom>;
