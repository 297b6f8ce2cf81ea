import type { Response } from 'express';
import type { SignInResult } from '../sign-in/complete-sign-in';
import { sendPage } from './html-page';
import { setSessionCookie, type CookieSettings } from './session-cookie';

/**
 * Finishes a sign-in that a browser completed on auth's own pages (a magic link, a social
 * provider's callback): the session cookie and a 303 to the allow-listed `returnTo` chosen when
 * the flow started, or a signed-in page. With MFA due, the challenge token goes to `returnTo` in
 * the fragment (never sent to servers or in a Referer), or is shown on the page.
 */
export function sendBrowserSignIn(res: Response, outcome: { result: SignInResult; returnTo: string | null }, cookie: CookieSettings): void {
  const { result, returnTo } = outcome;
  if (result.kind === 'mfa_required') {
    if (returnTo) {
      const target = new URL(returnTo);
      target.hash = new URLSearchParams({ mfa_token: result.challenge.mfaToken, mfa_methods: result.challenge.methods.join(',') }).toString();
      res.redirect(303, target.toString());
      return;
    }
    sendPage(res, 200, {
      title: 'One more step',
      paragraphs: [
        'Your account has a second factor. Finish signing in from the app with your authenticator or a backup code.',
        'API clients: present this token to POST /auth/mfa/verify.',
      ],
      code: result.challenge.mfaToken,
    });
    return;
  }
  setSessionCookie(res, result.session.token, result.session.ttlSeconds, cookie);
  if (returnTo) {
    res.redirect(303, returnTo);
    return;
  }
  sendPage(res, 200, { title: 'You are signed in', paragraphs: ['You can close this tab and return to the app.'] });
}
