import { z } from 'zod';
import { AppError } from '@malet/errors';
import { validate } from '@malet/http-server';
import type { AuthCore } from '../../core/core';
import { coreErrors } from '../../core/errors/core.errors';
import { sendBrowserSignIn } from '../../core/http/browser-sign-in';
import { sendPage } from '../../core/http/html-page';
import { defineRoute } from '../../core/http/route';
import { signInResponseBody } from '../../core/http/sign-in-response';
import { emailField, normalizeEmail } from '../../core/identities/email';
import type { SignInResult } from '../../core/sign-in/complete-sign-in';
import { looksLikeToken } from '../../core/tokens';
import { magicLinkErrors } from './magic-link.errors';
import type { MagicLinkService } from './magic-link.service';

const tokenField = z.string().min(1).max(128).meta({ example: 'ml_Q2hlY2sgdGhlIGVtYWlsIGZvciB0aGUgcmVhbCB0b2tlbg' });

export const magicLinkStartBody = z
  .object({
    email: emailField,
    /** Where the browser lands after the link signs it in; must be on RETURN_TO_ALLOWLIST. */
    return_to: z.string().max(2048).optional().meta({ example: 'http://localhost:3000/dashboard' }),
  })
  .strict();
export const magicLinkStartResponse = z.object({ success: z.literal(true), expires_in: z.number().int() });
export const magicLinkVerifyBody = z.object({ token: tokenField }).strict();
export const magicLinkCallbackQuery = z.object({ token: tokenField });

/** The one script the callback page runs, served from auth itself so the same-origin CSP holds. */
const CONTINUE_SCRIPT = "document.getElementById('continue').submit();\n";

const linkInvalidPage = {
  title: 'This sign-in link does not work',
  paragraphs: ['It may have expired, or it was already used: each link works once, for 15 minutes. Request a new one from the app.'],
};

export function magicLinkRoutes(core: Pick<AuthCore, 'sendSignInResult' | 'config'>, magicLinks: MagicLinkService) {
  return [
    defineRoute({
      method: 'post',
      path: '/auth/magic-link/start',
      summary: 'Email a single-use sign-in link (valid 15 minutes)',
      tags: ['Magic links'],
      access: 'public',
      limit: 'sendCode',
      body: magicLinkStartBody,
      responses: {
        200: { description: 'Sent. The same answer for every address: unknown emails sign up on first verified link.', body: magicLinkStartResponse },
      },
      errors: [coreErrors.codes.returnToNotAllowed, coreErrors.codes.mailUnavailable],
      async handle({ body, meta }) {
        const { expiresIn } = await magicLinks.start({ email: normalizeEmail(body.email), returnTo: body.return_to, meta });
        return { success: true, expires_in: expiresIn };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/magic-link/verify',
      summary: 'Verify a magic-link token and sign in (API clients; session cookie set, token in the body)',
      tags: ['Magic links'],
      access: 'public',
      limit: 'signIn',
      body: magicLinkVerifyBody,
      responses: { 200: { description: 'Signed in, or a second factor is due (`mfa_required`)', body: signInResponseBody } },
      errors: [magicLinkErrors.codes.invalidLink, coreErrors.codes.accountDeactivated],
      async handle({ body, res, meta }) {
        const { result } = await magicLinks.verify({ token: body.token, meta });
        core.sendSignInResult(res, result);
      },
    }),
    /**
     * The browser side, in two steps. Opening the link (GET) spends nothing, because mail
     * scanners and link previews fetch every URL in a message; the page posts the token back,
     * which only a browser that runs the page does. The redirect only ever goes to an
     * allow-listed origin chosen when the link was requested.
     */
    defineRoute({
      method: 'get',
      path: '/auth/magic-link/callback',
      summary:
        'The link in the email. Spends nothing: it answers a page whose form POSTs the token back (submitted at once by a same-origin script, or by its button without JavaScript), so mail scanners that prefetch links cannot use them up.',
      tags: ['Magic links'],
      access: 'public',
      limit: 'staticPage',
      responses: { 200: { description: 'HTML page that continues the sign-in' }, 400: { description: 'HTML page: the link is malformed' } },
      query: magicLinkCallbackQuery,
      validatesOwnInput: true,
      handle({ req, res }) {
        const parsed = magicLinkCallbackQuery.safeParse(req.query);
        // Only a token of the exact issued shape is echoed into the form; anything else is refused unseen.
        if (!parsed.success || !looksLikeToken('ml', parsed.data.token)) {
          sendPage(res, 400, linkInvalidPage);
          return;
        }
        // The form's post carries our Origin; the token in this URL never leaves the origin (sendPage's Referrer-Policy).
        sendPage(res, 200, {
          title: 'Signing you in…',
          paragraphs: ['If nothing happens, press the button.'],
          form: { id: 'continue', action: '/auth/magic-link/callback', hidden: { token: parsed.data.token }, submit: 'Continue signing in' },
          scripts: ['/auth/magic-link/continue.js'],
          // Browsers hold the redirect that follows the form's post to `form-action`: the return_to origins.
          formTargets: core.config.returnToAllowlist,
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/auth/magic-link/continue.js',
      summary: 'The script of the callback page: submits its form',
      tags: ['Magic links'],
      access: 'public',
      limit: 'staticPage',
      cacheControl: 'public, max-age=86400',
      responses: { 200: { description: 'JavaScript' } },
      handle({ res }) {
        res.type('application/javascript').send(CONTINUE_SCRIPT);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/magic-link/callback',
      summary:
        'Completes the browser sign-in (form post from the callback page): session cookie, then a 303 to the return_to chosen at start when allow-listed, else a signed-in page. With MFA enrolled it redirects to return_to with `#mfa_token=...&mfa_methods=...` in the fragment (never sent to servers), or shows the token on the page. Refused from other origins (login CSRF).',
      tags: ['Magic links'],
      access: 'public',
      limit: 'signIn',
      responses: {
        200: { description: 'HTML page: signed in, or second factor due' },
        303: { description: 'Signed in; redirect to the allow-listed return_to' },
        400: { description: 'HTML page: the link is invalid, expired or already used' },
      },
      body: magicLinkVerifyBody,
      validatesOwnInput: true,
      async handle({ req, res, meta }) {
        let outcome: { result: SignInResult; returnTo: string | null };
        try {
          const { token } = validate(magicLinkVerifyBody, req.body);
          outcome = await magicLinks.verify({ token, meta });
        } catch (error) {
          if (!(error instanceof AppError) || error.status >= 500) throw error;
          sendPage(res, 400, linkInvalidPage);
          return;
        }
        sendBrowserSignIn(res, outcome, core.config.cookie);
      },
    }),
  ];
}
