import { createHash } from 'node:crypto';
import { dictionary } from '@zxcvbn-ts/language-common';
import type { Logger } from '@malet/logging';

/**
 * The most common passwords, offline: zxcvbn-ts's maintained list (about 49,000 entries from
 * leaked-password corpora) shipped in its npm tarball. Compared case-insensitively, since
 * `Password1` is as weak as `password1`.
 */
let commonPasswords: Set<string> | null = null;

export function isCommonPassword(password: string): boolean {
  commonPasswords ??= new Set(dictionary['passwords-common'].map((entry) => entry.toLowerCase()));
  return commonPasswords.has(password.toLowerCase());
}

export interface BreachedPasswordChecker {
  /** True when the password appears in a known breach; false when not, or when the check could not run. */
  isBreached(password: string): Promise<boolean>;
}

/**
 * Have I Been Pwned's range API with k-anonymity: only the first five hex characters of the
 * password's SHA-1 leave the process, and `Add-Padding` hides the answer's true size. The check
 * fails open (with a warning) when the API is slow or unreachable: an outage of a third party
 * must not stop people from registering or changing passwords.
 */
export function createHibpChecker(options: { apiUrl: string; timeoutMs?: number; logger: Logger }): BreachedPasswordChecker {
  const base = options.apiUrl.replace(/\/+$/, '');
  return {
    async isBreached(password) {
      const digest = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
      const prefix = digest.slice(0, 5);
      const suffix = digest.slice(5);
      try {
        const response = await fetch(`${base}/range/${prefix}`, {
          headers: { 'Add-Padding': 'true', 'User-Agent': 'malet-auth' },
          signal: AbortSignal.timeout(options.timeoutMs ?? 2_000),
        });
        if (!response.ok) throw new Error(`HIBP answered ${response.status}`);
        const body = await response.text();
        for (const line of body.split('\n')) {
          const [candidate, count] = line.trim().split(':');
          // Padding entries carry a count of 0: they are not breaches.
          if (candidate?.toUpperCase() === suffix) return Number(count) > 0;
        }
        return false;
      } catch (error) {
        options.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'breached-password check unavailable: allowing the password');
        return false;
      }
    },
  };
}

export const noBreachCheck: BreachedPasswordChecker = { isBreached: async () => false };
