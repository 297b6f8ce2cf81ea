import { z } from 'zod';
import { flag, httpUrl } from '@malet/config';

/** Password hashing cost, lockout policy and the optional breached-password check. */
export const passwordEnvShape = {
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
};

export function passwordConfigFrom(raw: z.infer<z.ZodObject<typeof passwordEnvShape>>) {
  return {
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
  };
}

export type PasswordConfig = ReturnType<typeof passwordConfigFrom>;
