import type { Request } from 'express';
import { INTERNAL_TOKEN_HEADER, type InternalTokenVerifier } from '@malet/internal-auth';
import { coreErrors } from '../errors/core.errors';

export const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF protection for every state-changing request (POST, PUT, PATCH, DELETE), whether or not
 * it carries a session cookie: a sign-in sets one, so a hostile page posting its own
 * credentials would sign the visitor into the attacker's account (login CSRF).
 *
 * The session cookie is `SameSite=Lax`, which already keeps it off cross-site POSTs in modern
 * browsers; this is the layer that also covers requests without a cookie, older browsers and
 * same-site sibling origins. It decides on what browsers send and pages cannot forge:
 *
 * - A request with an `Authorization` header (a browser never adds one on its own, and a
 *   cross-origin page cannot without a CORS preflight, which auth never approves) or with a
 *   *valid* internal token (service-to-service calls; its mere presence proves nothing) passes.
 * - An `Origin` on the allow-list (CSRF_TRUSTED_ORIGINS plus auth's own PUBLIC_URL) passes, and
 *   so does `Sec-Fetch-Site: same-origin` (the browser says the page is ours, even when privacy
 *   settings send `Origin: null`).
 * - Any other `Origin` (`null` included) is refused; without `Origin`, `Sec-Fetch-Site` decides
 *   (`none`, a user-typed navigation, passes; `same-site` and `cross-site` are refused); without
 *   either, a `Referer` must be trusted when present.
 * - A request with none of these headers did not come from a browser's cross-origin machinery
 *   (every browser that could be tricked sends `Origin` on a cross-origin POST) and passes, so
 *   API clients and curl scripts keep working.
 *
 * The gateway proxies browser requests to auth and forwards `Origin` untouched, so a web app on
 * an allow-listed origin passes through it. Routes that must accept posts from other sites (an
 * identity provider posting back) say so in their declaration (`crossSitePosts`, route.ts).
 */
export function createOriginCheck(options: { trustedOrigins: readonly string[]; verifyInternalToken: InternalTokenVerifier }) {
  const trusted = new Set(options.trustedOrigins);

  const originOf = (value: string): string | null => {
    try {
      return new URL(value).origin;
    } catch {
      return null;
    }
  };

  async function carriesValidInternalToken(req: Request): Promise<boolean> {
    const raw = req.headers[INTERNAL_TOKEN_HEADER];
    const token = Array.isArray(raw) ? raw[0] : raw;
    if (!token) return false;
    try {
      await options.verifyInternalToken(token);
      return true;
    } catch {
      return false;
    }
  }

  /** Throws 403 `csrf:*` for a state-changing request a browser sent from a page we do not trust. */
  return async function verifyRequestOrigin(req: Request): Promise<void> {
    if (SAFE_METHODS.has(req.method)) return;
    if (req.headers.authorization || (await carriesValidInternalToken(req))) return;

    const origin = req.get('origin');
    const site = req.get('sec-fetch-site');
    if ((origin !== undefined && trusted.has(origin)) || site === 'same-origin') return;
    if (origin !== undefined) throw coreErrors.originNotTrusted();
    if (site !== undefined) {
      if (site === 'none') return;
      throw coreErrors.crossSite();
    }
    const referer = req.get('referer');
    if (referer !== undefined) {
      const refererOrigin = originOf(referer);
      if (refererOrigin && trusted.has(refererOrigin)) return;
      throw coreErrors.originNotTrusted();
    }
  };
}

export type VerifyRequestOrigin = ReturnType<typeof createOriginCheck>;
