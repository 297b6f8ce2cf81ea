import { defineErrors } from '../../core/errors/error-catalogue';

export const accountErrors = defineErrors('account', {
  /** A wrong, expired or spent verification code (400: the caller is not signing in). */
  invalidCode: { code: 'account:invalid_code', status: 400, message: 'The code is incorrect, expired or out of attempts' },
  emailTaken: { code: 'auth:email_taken', status: 409, message: 'That email address belongs to another account' },
  sameEmail: { code: 'auth:email_unchanged', status: 400, message: 'That is already your email address', fields: ['new_email'] },
});
