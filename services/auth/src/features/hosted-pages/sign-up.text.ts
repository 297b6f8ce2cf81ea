import { sharedText } from './shared.text';

/** Every word of the sign-up page (English). */
export const signUpText = {
  title: `Create your account · ${sharedText.product}`,
  heading: 'Create your account',
  emailLabel: 'Email address',
  nameLabel: 'Your name (optional)',
  passwordLabel: 'Password',
  passwordHint: 'At least 8 characters. A few unrelated words make a strong one.',
  submitButton: 'Create account',
  doneHeading: 'Check your email',
  passwordless: 'Prefer no password? Sign in with an emailed code: your account is created the first time.',
  haveAccount: 'Already have an account?',
  signInLink: 'Sign in',
  client: {
    errors: {
      ...sharedText.errors,
      emailRequired: 'Enter your email address.',
      emailInvalid: 'Enter an email address like name@example.com.',
      passwordRequired: 'Choose a password.',
      'auth:password_too_short': 'Use at least 8 characters.',
      'auth:password_too_long': 'Use at most 256 characters.',
      'auth:password_common': 'This password is too common. Choose another one.',
      'auth:password_breached': 'This password appeared in a data breach. Choose another one.',
      'auth:password_contains_email': 'Do not use your email address in your password.',
    },
    done: 'We sent a link to {email}. Open it to verify your address, then sign in.',
    creating: 'Creating your account…',
  },
};
