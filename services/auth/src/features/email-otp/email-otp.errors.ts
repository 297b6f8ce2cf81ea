import { defineErrors } from '../../core/errors/error-catalogue';

export const emailOtpErrors = defineErrors('email-otp', {
  invalidCode: { code: 'auth:invalid_code', status: 401, message: 'The code is incorrect' },
  /** No live code: never requested, expired, superseded, used, or out of attempts. */
  codeExpired: { code: 'auth:code_expired', status: 401, message: 'No valid code for this email: request a new one' },
});
