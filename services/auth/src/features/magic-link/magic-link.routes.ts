import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { AppError, ForbiddenError } from '@malet/errors';
import { validate } from '@malet/http-server';
import { normalizeEmail } from '../domain/email';
import type { MagicLinkService } from '../domain/magic-link.service';
import { looksLikeToken } from '../domain/tokens';
import type { SignInResult } from '../domain/sign-in';
import { emailField } from './email-otp.routes';
import { documentRoute, signInResponseBody } from './openapi';
import type { RateLimitGuard } from './rate-limit';
import { setSessionCookie, type CookieSettings } from './session-cookie';
import { requestMeta, sendSignInResult } from './sign-in-response';

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

documentRoute({
  method: 'post',
  path: '/auth/magic-link/start',
  summary: 'Email a single-use sign-in link (valid 15 minutes)',
  tags: ['Magic links'],
  auth: 'none',
  body: magicLinkStartBody,
  responses: {
    200: { description: 'Sent. The same answer for every address: unknown emails sign up on first verified link.', body: magicLinkStartResponse },
    400: { description: 'Invalid body, or `auth:return_to_not_allowed`' },
    429: { description: 'Too many links for this address or client (Retry-After)' },
    503: { description: 'Mail could not be sent' },
  },
});
documentRoute({
  method: 'post',
  path: '/auth/magic-link/verify',
  summary: 'Verify a magic-link token and sign in (API clients; session cookie set, token in the body)',
  tags: ['Magic links'],
  auth: 'none',
  body: magicLinkVerifyBody,
  responses: {
    200: { description: 'Signed in, or a second factor is due (`mfa_required`)', body: signInResponseBody },
    400: { description: 'Invalid body' },
    401: { description: '`auth:invalid_link`: unknown, expired or already used' },
    429: { description: 'Too many attempts (Retry-After)' },
  },
});
documentRoute({
  method: 'get',
  path: '/auth/magic-link/callback',
  summary:
    'The link in the email. Spends nothing: it answers a page whose form POSTs the token back (submitted at once by a same-origin script, or by its button without JavaScript), so mail scanners that prefetch links cannot use them up.',
  tags: ['Magic links'],
  auth: 'none',
  query: magicLinkCallbackQuery,
  responses: {
    200: { description: 'HTML page that continues the sign-in' },
    400: { description: 'HTML page: the link is malformed' },
  },
});
documentRoute({
  method: 'post',
  path: '/auth/magic-link/callback',
  summary:
    'Completes the browser sign-in (form post from the callback page): session cookie, then a 303 to the return_to chosen at start when allow-listed, else a signed-in page. With MFA enrolled it redirects to return_to with `#mfa_token=...&mfa_methods=...` in the fragment (never sent to servers), or shows the token on the page. Refused from other origins (login CSRF).',
  tags: ['Magic links'],
  auth: 'none',
  body: magicLinkVerifyBody,
  responses: {
    200: { description: 'HTML page: signed in, or second factor due' },
    303: { description: 'Signed in; redirect to the allow-listed return_to' },
    400: { description: 'HTML page: the link is invalid, expired or already used' },
    403: { description: '`csrf:cross_site`: posted from another site' },
    429: { description: 'Too many attempts (Retry-After)' },
  },
});

documentRoute({
  method: 'get',
  path: '/auth/magic-link/continue.js',
  summary: 'The script of the callback page: submits its form',
  tags: ['Magic links'],
  auth: 'none',
  responses: { 200: { description: 'JavaScript' } },
});

/** The one script the callback page runs, served from auth itself so the same-origin CSP holds. */
const CONTINUE_SCRIPT = "document.getElementById('continue').submit();\n";

/**
 * Login CSRF: another site must not post its own link's token and sign the visitor into the
 * attacker's account. Browsers send `Origin` on form posts (`null` under some referrer
 * policies, when Fetch Metadata still says `same-origin`); a client that sends neither header
 * is not a browser that could be tricked.
 */
function assertPostedByOurPage(req: Request, pageOrigins: ReadonlySet<string>): void {
  const origin = req.get('origin');
  const site = req.get('sec-fetch-site');
  if ((origin !== undefined && pageOrigins.has(origin)) || site === 'same-origin') return;
  if (origin === undefined && site === undefined) return;
  throw new ForbiddenError('Cross-site request refused', 'csrf:cross_site');
}

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

/** A minimal page on auth. Every dynamic value is escaped; the only request value it echoes is a token of the issued shape. */
function sendPage(res: Response, status: number, page: { title: string; paragraphs: string[]; code?: string; extra?: string }): void {
  res.status(status);
  res.setHeader('Cache-Control', 'no-store');
  res.type('html').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}code{word-break:break-all;background:#f3f3f3;padding:.2rem .4rem}</style>
</head><body><h1>${escapeHtml(page.title)}</h1>
${page.paragraphs.map((text) => `<p>${escapeHtml(text)}</p>`).join('\n')}
${page.code ? `<p><code>${escapeHtml(page.code)}</code></p>` : ''}
${page.extra ?? ''}
</body></html>
`);
}

export function magicLinkRoutes(deps: {
  magicLinks: MagicLinkService;
  limits: RateLimitGuard;
  ttlSeconds: number;
  cookie: CookieSettings;
  /** Origins whose pages may post the callback form: auth's own and the gateway's (which proxies /auth/*). */
  pageOrigins: readonly string[];
  /** Where the form's answer may redirect (RETURN_TO_ALLOWLIST); browsers hold redirects after a form post to `form-action`. */
  returnToOrigins: readonly string[];
}): Router {
  const router = Router();
  const pageOrigins = new Set(deps.pageOrigins);
  const continuationPagePolicy = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'unsafe-inline'",
    `form-action 'self' ${deps.returnToOrigins.join(' ')}`,
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  const linkInvalidPage = {
    title: 'This sign-in link does not work',
    paragraphs: ['It may have expired, or it was already used: each link works once, for 15 minutes. Request a new one from the app.'],
  };

  router.post('/auth/magic-link/start', deps.limits.limit('sendCode'), async function startMagicLink(req, res) {
    const body = validate(magicLinkStartBody, req.body);
    const { expiresIn } = await deps.magicLinks.start({ email: normalizeEmail(body.email), returnTo: body.return_to, meta: requestMeta(req) });
    res.setHeader('Cache-Control', 'no-store');
    res.json({ success: true, expires_in: expiresIn });
  });

  router.post('/auth/magic-link/verify', deps.limits.limit('signIn'), async function verifyMagicLink(req, res) {
    const { token } = validate(magicLinkVerifyBody, req.body);
    const { result } = await deps.magicLinks.verify({ token, meta: requestMeta(req) });
    sendSignInResult(res, result, { ttlSeconds: deps.ttlSeconds, cookie: deps.cookie });
  });

  /**
   * The browser side, in two steps. Opening the link (GET) spends nothing, because mail scanners
   * and link previews fetch every URL in a message; the page posts the token back, which only a
   * browser that runs the page does. The redirect only ever goes to an allow-listed origin
   * chosen when the link was requested. The page touches no storage, so it needs no rate limit
   * (a scanner opening it repeatedly must not spend the visitor's sign-in allowance either).
   */
  router.get('/auth/magic-link/callback', function showMagicLinkContinuation(req, res) {
    const parsed = magicLinkCallbackQuery.safeParse(req.query);
    // Only a token of the exact issued shape is echoed into the form; anything else is refused unseen.
    if (!parsed.success || !looksLikeToken('ml', parsed.data.token)) {
      sendPage(res, 400, linkInvalidPage);
      return;
    }
    // The form's post then carries our Origin; the token in this URL still never leaves the origin.
    res.setHeader('Referrer-Policy', 'same-origin');
    res.setHeader('Content-Security-Policy', continuationPagePolicy);
    sendPage(res, 200, {
      title: 'Signing you in…',
      paragraphs: ['If nothing happens, press the button.'],
      extra: `<form id="continue" method="post" action="/auth/magic-link/callback">
<input type="hidden" name="token" value="${escapeHtml(parsed.data.token)}">
<button type="submit">Continue signing in</button>
</form>
<script src="/auth/magic-link/continue.js"></script>`,
    });
  });

  router.get('/auth/magic-link/continue.js', function serveContinueScript(_req, res) {
    res.setHeader('Cache-Control', 'public, max-age=86400');
    res.type('application/javascript').send(CONTINUE_SCRIPT);
  });

  router.post('/auth/magic-link/callback', deps.limits.limit('signIn'), async function completeMagicLinkInBrowser(req, res) {
    assertPostedByOurPage(req, pageOrigins);
    let outcome: { result: SignInResult; returnTo: string | null };
    try {
      const { token } = validate(magicLinkVerifyBody, req.body);
      outcome = await deps.magicLinks.verify({ token, meta: requestMeta(req) });
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      sendPage(res, 400, linkInvalidPage);
      return;
    }
    const { result, returnTo } = outcome;
    if (result.kind === 'mfa_required') {
      if (returnTo) {
        // The fragment never reaches a server or a Referer header; the app reads it and asks for the second factor.
        const target = new URL(returnTo);
        target.hash = new URLSearchParams({ mfa_token: result.challenge.mfaToken, mfa_methods: result.challenge.methods.join(',') }).toString();
        res.setHeader('Cache-Control', 'no-store');
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
    setSessionCookie(res, result.session.token, deps.ttlSeconds, deps.cookie);
    if (returnTo) {
      res.setHeader('Cache-Control', 'no-store');
      res.redirect(303, returnTo);
      return;
    }
    sendPage(res, 200, { title: 'You are signed in', paragraphs: ['You can close this tab and return to the app.'] });
  });

  return router;
}
