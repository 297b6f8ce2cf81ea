import { defineErrors } from '../../core/errors/error-catalogue';
import { retryAfter } from '../../core/errors/core.errors';

export const PASSWORD_MIN_LENGTH = 8;
/** Long enough for any passphrase, short enough that hashing it cannot be used to burn CPU. */
export const PASSWORD_MAX_LENGTH = 256;

/** Which request field held the current password: `current_password` (change) or `password` (re-authentication). */
type CurrentPasswordField = 'current_password' | 'password';

export const passwordErrors = defineErrors('passwords', {
  /** The same answer for an unknown email, an account without a password and a wrong password. */
  invalidCredentials: { code: 'auth:invalid_credentials', status: 401, message: 'Invalid email or password' },
  wrongPassword: {
    code: 'auth:wrong_password',
    status: 403,
    message: (field: CurrentPasswordField) =>
      field === 'password' ? 'The current password is required and must be correct' : 'The current password is incorrect',
    fields: (field: CurrentPasswordField) => [field],
  },
  /** Password sign-in paused after repeated failures; email codes, links and passkeys still work. */
  locked: {
    code: 'auth:password_locked',
    status: 429,
    message: 'Too many failed password attempts; try again later or sign in another way',
    headers: retryAfter,
  },
  /** Re-authentication by password for an account that has none. */
  noPassword: {
    code: 'auth:no_password',
    status: 409,
    message: 'This account has no password: sign in again with an emailed code or link, or answer a second factor at /auth/mfa/step-up',
  },
  tooShort: { code: 'auth:password_too_short', status: 400, message: `Password must be at least ${PASSWORD_MIN_LENGTH} characters`, fields: ['password'] },
  tooLong: { code: 'auth:password_too_long', status: 400, message: `Password must be at most ${PASSWORD_MAX_LENGTH} characters`, fields: ['password'] },
  common: { code: 'auth:password_common', status: 400, message: 'This password is too common; choose another', fields: ['password'] },
  breached: { code: 'auth:password_breached', status: 400, message: 'This password has appeared in a data breach; choose another', fields: ['password'] },
  containsEmail: { code: 'auth:password_contains_email', status: 400, message: 'Password must not contain your email address', fields: ['password'] },
});
