import type { NextFunction, Request, Response } from 'express';
import { ForbiddenError } from '@malet/errors';
import { SESSION_COOKIE } from '@malet/session-client';
import { parse as parseCookie } from 'cookie';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function originOf(value: string): string | null {
  try {
    return new URL(value).origin;
  } catch {
    return null;
  }
}

/**
 * CSRF on `/graphql`: a state-changing request authenticated by the session cookie alone (no
 * Bearer token, which a browser never adds by itself) must come from a page of ours. It passes
 * when its `Origin` is the gateway's own (scheme and Host of the request) or one of
 * CSRF_TRUSTED_ORIGINS; without `Origin`, Fetch Metadata decides (`same-origin` and `none`
 * pass), then `Referer`; a request with none of them was not sent by a browser's cross-origin
 * machinery and passes, as auth's own check decides for its routes. The cookie is SameSite=Lax,
 * so this is the second layer: same-site sibling origins and older browsers.
 */
export function refuseCrossSiteCookieRequests(options: { trustedOrigins: readonly string[] }) {
  const trusted = new Set(options.trustedOrigins);
  const isOurs = (req: Request, origin: string | null) =>
    origin !== null && (trusted.has(origin) || origin === `${req.protocol}://${req.get('host') ?? ''}`);

  return function verifyCookieRequestOrigin(req: Request, _res: Response, next: NextFunction): void {
    if (SAFE_METHODS.has(req.method) || req.headers.authorization) return next();
    const cookieHeader = req.headers.cookie;
    if (!cookieHeader || parseCookie(cookieHeader)[SESSION_COOKIE] === undefined) return next();
    const origin = req.get('origin');
    if (origin !== undefined) {
      // `Origin: null` (sandboxed frames, privacy redirects) is never ours.
      return isOurs(req, origin === 'null' ? null : origin) ? next() : next(new ForbiddenError('Cross-site request refused: origin not trusted', 'csrf:origin_not_trusted'));
    }
    const site = req.get('sec-fetch-site');
    if (site !== undefined) return site === 'same-origin' || site === 'none' ? next() : next(new ForbiddenError('Cross-site request refused', 'csrf:cross_site'));
    const referer = req.get('referer');
    if (referer !== undefined) return isOurs(req, originOf(referer)) ? next() : next(new ForbiddenError('Cross-site request refused: origin not trusted', 'csrf:origin_not_trusted'));
    next();
  };
}
