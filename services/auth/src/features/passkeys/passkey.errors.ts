import { defineErrors } from '../../core/errors/error-catalogue';

/**
 * What the passkey ceremonies and the passkey list answer. A refused finish names its reason
 * class (challenge, origin, RP ID, credential, signature, counter) so that clients and the audit
 * trail can tell them apart; none of them reveals whether an account exists.
 */
export const passkeyErrors = defineErrors('passkeys', {
  challengeInvalid: {
    code: 'passkey:challenge_invalid',
    status: 400,
    message: 'The challenge is unknown, expired, already used or belongs to another ceremony; start again',
  },
  originNotAllowed: { code: 'passkey:origin_not_allowed', status: 400, message: 'The ceremony ran on an origin this service does not accept' },
  rpIdMismatch: { code: 'passkey:rp_id_mismatch', status: 400, message: 'The authenticator signed for another relying party' },
  /** Not registered, or not one this ceremony accepts (another user's passkey). */
  unknownCredential: { code: 'passkey:unknown_credential', status: 401, message: 'This passkey is not registered for this sign-in' },
  verificationFailed: { code: 'passkey:verification_failed', status: 401, message: 'The passkey response could not be verified' },
  userVerificationRequired: {
    code: 'passkey:user_verification_required',
    status: 401,
    message: 'The authenticator did not verify the user (PIN or biometrics); try again with verification',
  },
  /** The signature counter did not move forward: the response comes from a cloned authenticator. */
  counterRegressed: {
    code: 'passkey:counter_regressed',
    status: 401,
    message: 'This passkey reported a signature counter that did not increase; it may have been cloned',
  },
  alreadyRegistered: { code: 'passkey:already_registered', status: 409, message: 'This passkey is already registered' },
  tooMany: { code: 'passkey:limit', status: 409, message: (max: number) => `At most ${max} passkeys per account; remove one first` },
  notFound: { code: 'passkey:not_found', status: 404, message: 'No such passkey' },
  lastSignInMethod: {
    code: 'passkey:last_sign_in_method',
    status: 409,
    message: 'This passkey is your only way to sign in: add a password, another passkey or verify your email first',
  },
});
