/**
 * Words every hosted page uses (English). Each page's own words are in `<page>.text.ts`; a
 * translation replaces these files, nothing else.
 */
export const sharedText = {
  lang: 'en',
  product: 'Malet',
  /** Messages for error codes any page may meet; a page's own list adds to these. */
  errors: {
    generic: 'Something went wrong. Please try again.',
    network: 'We could not reach the server. Check your connection and try again.',
    'rate_limit:exceeded': 'Too many attempts. Wait a moment, then try again.',
    'request:invalid': 'Please check the highlighted field.',
    'auth:invalid_session': 'Your session has ended. Please sign in again.',
    'auth:reauthentication_required': 'For your security, please sign in again before making this change.',
    'csrf:cross_site': 'This request was blocked because it did not come from this site.',
    'csrf:origin_not_trusted': 'This request was blocked because it did not come from this site.',
    'passkey:challenge_invalid': 'That took too long. Please try the passkey again.',
    'passkey:verification_failed': 'Your passkey could not be verified. Please try again.',
    'passkey:user_verification_required': 'Your device did not confirm it is you (PIN or fingerprint). Please try again.',
    'passkey:unknown_credential': 'This passkey is not registered for this account.',
    'passkey:counter_regressed': 'This passkey was refused because it may have been copied. Use another way to sign in.',
    'passkey:origin_not_allowed': 'Passkeys cannot be used on this address.',
    'passkey:rp_id_mismatch': 'Passkeys cannot be used on this address.',
    passkeyCancelled: 'The passkey request was cancelled.',
  },
  mfaCodeHint: 'Enter the 6 digits.',
};

export type ErrorText = Record<string, string>;
