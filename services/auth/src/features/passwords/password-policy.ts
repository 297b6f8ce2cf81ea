import { AppError } from '@malet/errors';
import { isCommonPassword, type BreachedPasswordChecker } from '../infra/breached-passwords';

export const PASSWORD_MIN_LENGTH = 8;
/** Long enough for any passphrase, short enough that hashing it cannot be used to burn CPU. */
export const PASSWORD_MAX_LENGTH = 256;

/**
 * One spelling per password: NFKC, so the same passphrase typed on two keyboards (composed or
 * decomposed accents, full-width digits) hashes the same (NIST SP 800-63B 5.1.1.2).
 */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

export class WeakPasswordError extends AppError {
  constructor(reason: 'too_short' | 'too_long' | 'common' | 'breached' | 'contains_email') {
    const messages = {
      too_short: `Password must be at least ${PASSWORD_MIN_LENGTH} characters`,
      too_long: `Password must be at most ${PASSWORD_MAX_LENGTH} characters`,
      common: 'This password is too common; choose another',
      breached: 'This password has appeared in a data breach; choose another',
      contains_email: 'Password must not contain your email address',
    };
    super(400, `auth:password_${reason}`, messages[reason], { fields: ['password'] });
  }
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
      if (length < PASSWORD_MIN_LENGTH) throw new WeakPasswordError('too_short');
      if (length > PASSWORD_MAX_LENGTH) throw new WeakPasswordError('too_long');
      if (isCommonPassword(password)) throw new WeakPasswordError('common');
      const local = email.split('@')[0] ?? '';
      if (local.length >= 4 && password.toLowerCase().includes(local.toLowerCase())) throw new WeakPasswordError('contains_email');
      if (await deps.breached.isBreached(password)) throw new WeakPasswordError('breached');
    },
  };
}

export type PasswordPolicy = ReturnType<typeof createPasswordPolicy>;
