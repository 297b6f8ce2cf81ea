import { hash, verify, type Algorithm } from '@node-rs/argon2';

// The package declares its algorithms as an ambient const enum, which isolated modules cannot
// read at run time: Argon2id is 2 in its declaration.
const ARGON2ID = 2 as Algorithm.Argon2id;

/** argon2id cost parameters; OWASP's recommendation is m=19456 KiB, t=2, p=1. */
export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export const OWASP_ARGON2ID: Argon2Params = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/** Parses `$argon2id$v=19$m=19456,t=2,p=1$salt$hash`; null for anything else. */
export function parseArgon2Params(encoded: string): (Argon2Params & { algorithm: string }) | null {
  const match = /^\$(argon2(?:id|i|d))\$v=\d+\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(encoded);
  if (!match) return null;
  return { algorithm: match[1]!, memoryCost: Number(match[2]), timeCost: Number(match[3]), parallelism: Number(match[4]) };
}

/**
 * Password hashing with argon2id (@node-rs/argon2: native, off the event loop). The plain
 * password only ever passes through here; it is never logged or stored.
 */
export function createPasswordHasher(
  params: Argon2Params = OWASP_ARGON2ID,
  /** Counts argon2id work (a metric), which shows that unknown accounts cost what known ones do. */
  onOperation: (operation: 'hash' | 'verify') => void = () => {},
) {
  const options = { algorithm: ARGON2ID, ...params };
  // Verified against when there is no account (or no password), so an unknown email costs the
  // same time as a wrong password. Computed once, lazily, with the configured parameters.
  let dummy: Promise<string> | null = null;

  return {
    params,
    hash: (password: string): Promise<string> => {
      onOperation('hash');
      return hash(password, options);
    },

    /** False for a malformed stored hash rather than throwing: a bad row must not become a 500. */
    async verify(encoded: string, password: string): Promise<boolean> {
      onOperation('verify');
      try {
        return await verify(encoded, password);
      } catch {
        return false;
      }
    },

    /** Burns one verification's worth of time; always false. */
    async verifyDummy(password: string): Promise<false> {
      dummy ??= hash('not-a-real-password', options);
      onOperation('verify');
      await verify(await dummy, password).catch(() => false);
      return false;
    },

    /** Whether a stored hash was made with other parameters (or another algorithm) than today's. */
    needsRehash(encoded: string): boolean {
      const stored = parseArgon2Params(encoded);
      return (
        !stored ||
        stored.algorithm !== 'argon2id' ||
        stored.memoryCost !== params.memoryCost ||
        stored.timeCost !== params.timeCost ||
        stored.parallelism !== params.parallelism
      );
    },
  };
}

export type PasswordHasher = ReturnType<typeof createPasswordHasher>;
