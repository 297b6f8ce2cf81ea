import type { NextFunction, Request, Response } from 'express';
import { parse as parseCookie } from 'cookie';
import { INTERNAL_TOKEN_HEADER } from '@malet/internal-auth';
import { SESSION_COOKIE } from '@malet/session-client';
import { coreErrors } from '../errors/core.errors';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF protection for cookie-authenticated, state-changing requests from browsers.
 *
 * The session cookie is `SameSite=Lax`, which already keeps it off cross-site POSTs in modern
 * browsers; this is the second layer (older browsers, same-site sibling origins, and Lax's
 * two-minute top-level POST allowance in some engines). A request is checked only when all hold:
 *
 * - its method changes state (not GET, HEAD or OPTIONS);
 * - it carries the `session_token` cookie (without it there is no ambient authority to abuse);
 * - it has no `Authorization` header (a Bearer token is never sent by a browser on its own) and
 *   no internal token (service-to-service calls; a cross-site page cannot add a custom header
 *   without a CORS preflight, which auth never approves).
 *
 * Such a request passes when its `Origin` is trusted (CSRF_TRUSTED_ORIGINS plus auth's own
 * PUBLIC_URL). Without `Origin` the Fetch Metadata header decides: `same-origin` and `none` (a
 * user-typed navigation) pass, `same-site` and `cross-site` are refused; without either header
 * the `Referer` origin is checked when present. A request with none of the three did not come
 * from a browser's cross-origin machinery (every browser that could be tricked sends `Origin`
 * on a cross-origin POST) and passes, so cookie-using curl scripts keep working.
 *
 * The gateway proxies browser requests to auth and forwards `Origin` untouched, so a web app on
 * an allow-listed origin (the default list holds the dev web app and the gateway) passes through
 * it; the gateway's own validation calls are GET or carry a Bearer token and are never checked.
 */
export function csrfProtection(options: { trustedOrigins: readonly string[]; crossSitePostPaths?: readonly RegExp[] }) {
  const trusted = new Set(options.trustedOrigins);
  const exempt = options.crossSitePostPaths ?? [];

  const originOf = (value: string): string | null => {
    try {
      return new URL(value).origin;
    } catch {
      return null;
    }
  };

  return function verifyRequestOrigin(req: Request, _res: Response, next: NextFunction): void {
    if (SAFE_METHODS.has(req.method)) return next();
    // Cross-site by design and proven otherwise (module.ts `crossSitePostPaths`): the cookie grants nothing there.
    if (exempt.some((pattern) => pattern.test(req.path))) return next();
    if (req.headers.authorization || req.headers[INTERNAL_TOKEN_HEADER]) return next();
    const cookieHeader = req.headers.cookie;
    if (!cookieHeader || parseCookie(cookieHeader)[SESSION_COOKIE] === undefined) return next();

    const origin = req.get('origin');
    if (origin !== undefined) {
      // `Origin: null` (sandboxed frames, some redirects) is never trusted.
      if (trusted.has(origin)) return next();
      return next(coreErrors.originNotTrusted());
    }
    const site = req.get('sec-fetch-site');
    if (site !== undefined) {
      if (site === 'same-origin' || site === 'none') return next();
      return next(coreErrors.crossSite());
    }
    const referer = req.get('referer');
    if (referer !== undefined) {
      const refererOrigin = originOf(referer);
      if (refererOrigin && trusted.has(refererOrigin)) return next();
      return next(coreErrors.originNotTrusted());
    }
    next();
  };
}

/**
 * Login CSRF, for form posts that sign a browser in (no cookie yet, so `csrfProtection` does
 * not look at them): another site must not post its own link's token and sign the visitor into
 * the attacker's account. Browsers send `Origin` on form posts (`null` under some referrer
 * policies, when Fetch Metadata still says `same-origin`); a client that sends neither header
 * is not a browser that could be tricked.
 */
export function assertPostedByOurPage(req: Request, pageOrigins: ReadonlySet<string>): void {
  const origin = req.get('origin');
  const site = req.get('sec-fetch-site');
  if ((origin !== undefined && pageOrigins.has(origin)) || site === 'same-origin') return;
  if (origin === undefined && site === undefined) return;
  throw coreErrors.crossSite();
}
