import { sharedText } from './shared.text';

/** Every word of the second-step page (English). */
export const mfaText = {
  title: `Two-step verification · ${sharedText.product}`,
  heading: 'Two-step verification',
  intro: 'Your account is protected by a second step. Use one of these:',
  expired: 'There is no sign-in waiting for a second step, or it has expired.',
  signInAgain: 'Sign in again',
  totpHeading: 'Authenticator app',
  totpLabel: 'Code from your authenticator app',
  verifyButton: 'Verify',
  smsHeading: 'Text message',
  smsSendButton: 'Text me a code',
  smsLabel: 'Code from the text message',
  backupHeading: 'Backup code',
  backupLabel: 'One of your backup codes',
  backupButton: 'Use backup code',
  client: {
    errors: {
      ...sharedText.errors,
      codeInvalid: 'Enter the 6 digits.',
      backupRequired: 'Enter a backup code, like abcde-12345.',
      'mfa:invalid_code': 'That code is not right. Try again with a new code.',
      'mfa:challenge_invalid': 'This sign-in has expired. Please sign in again.',
      'mfa:method_unavailable': 'This method is not available for your account.',
      'mfa:sms_limit': 'No more text messages for this sign-in. Please sign in again.',
      'sms:delivery_failed': 'We could not send the text message. Try another method.',
    },
    smsSent: 'We texted a code to {phone}.',
    signingIn: 'Signing you in…',
  },
};
