import { isCommonPassword, type BreachedPasswordChecker } from './breached-passwords';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, passwordErrors } from './password.errors';

/**
 * One spelling per password: NFKC, so the same passphrase typed on two keyboards (composed or
 * decomposed accents, full-width digits) hashes the same (NIST SP 800-63B 5.1.1.2).
 */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/**
 * NIST-style rules: a minimum length, no maximum below 256, no composition rules; rejected when
 * it is among the most common passwords, when it holds the email's local part, or (when HIBP is
 * configured) when it appears in a known breach.
 */
export function createPasswordPolicy(deps: { breached: BreachedPasswordChecker }) {
  return {
    async assertAcceptable(password: string, email: string): Promise<void> {
      const length = [...password].length;
      if (length < PASSWORD_MIN_LENGTH) throw passwordErrors.tooShort();
      if (length > PASSWORD_MAX_LENGTH) throw passwordErrors.tooLong();
      if (isCommonPassword(password)) throw passwordErrors.common();
      const local = email.split('@')[0] ?? '';
      if (local.length >= 4 && password.toLowerCase().includes(local.toLowerCase())) throw passwordErrors.containsEmail();
      if (await deps.breached.isBreached(password)) throw passwordErrors.breached();
    },
  };
}

export type PasswordPolicy = ReturnType<typeof createPasswordPolicy>;
