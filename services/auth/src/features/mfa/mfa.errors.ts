import { defineErrors } from '../../core/errors/error-catalogue';

export const mfaErrors = defineErrors('mfa', {
  challengeInvalid: {
    code: 'mfa:challenge_invalid',
    status: 401,
    message: 'MFA challenge invalid, expired, already used or out of attempts; sign in again',
  },
  /** A wrong answer to a sign-in challenge (the caller is not signed in yet: 401). */
  invalidLoginCode: { code: 'mfa:invalid_code', status: 401, message: (attemptsLeft: number) => `Invalid code; ${attemptsLeft} attempt(s) left` },
  /** A wrong code from a signed-in user confirming a factor or proving one (403: signed in, proof refused). */
  codeRejected: { code: 'mfa:code_rejected', status: 403, message: 'Invalid or expired code' },
  tooManyAttempts: { code: 'mfa:too_many_attempts', status: 403, message: 'Too many wrong codes; start the enrollment again' },
  /** Five wrong authenticator codes outside a sign-in: step-ups with it stop until a sign-in passes it again. */
  stepUpLocked: {
    code: 'mfa:step_up_locked',
    status: 403,
    message: 'Too many wrong authenticator codes: sign in again with your second factor, or use another method',
  },
  alreadyEnrolled: {
    code: 'mfa:already_enrolled',
    status: 409,
    message: (type: string) => `A ${type} factor is already enabled; disable MFA to replace it`,
  },
  noPendingEnrollment: { code: 'mfa:no_pending_enrollment', status: 409, message: (type: string) => `No ${type} enrollment in progress; call enroll first` },
  notEnabled: { code: 'mfa:not_enabled', status: 409, message: 'MFA is not enabled for this account' },
  methodUnavailable: {
    code: 'mfa:method_unavailable',
    status: 400,
    message: (method: string) => `The ${method} method is not available for this account`,
    fields: ['method'],
  },
  smsResendLimit: { code: 'mfa:sms_limit', status: 429, message: 'No more SMS codes for this sign-in; sign in again' },
  smsDeliveryFailed: { code: 'sms:delivery_failed', status: 503, message: 'The SMS could not be sent, try again later' },
});
