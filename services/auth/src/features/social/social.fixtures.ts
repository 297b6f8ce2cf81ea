import type { OAuthProviderStandIn, StandInProvider } from '@malet/testing';

/** Test fixtures of social sign-in (used by the tests, never by the service). */

/** A cookie jar of the few cookies a browser keeps across one flow, by name and path. */
export class CookieJar {
  private readonly cookies = new Map<string, { name: string; value: string; path: string }>();

  /** Stores the response's `Set-Cookie`s (a past or zero Max-Age deletes). */
  take(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const name = pair.slice(0, pair.indexOf('='));
      const value = decodeURIComponent(pair.slice(pair.indexOf('=') + 1));
      const path = attributes.find((attribute) => /^path=/i.test(attribute))?.slice(5) ?? '/';
      const expired = attributes.some((attribute) => /^max-age=(0|-)/i.test(attribute) || /^expires=Thu, 01 Jan 1970/i.test(attribute));
      const key = `${name};${path}`;
      if (expired || value === '') this.cookies.delete(key);
      else this.cookies.set(key, { name, value, path });
    }
  }

  /** The `Cookie` header a browser would send to `path`. */
  headerFor(path: string): string {
    return [...this.cookies.values()]
      .filter((cookie) => path === cookie.path || path.startsWith(cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`) || cookie.path === '/')
      .map((cookie) => `${cookie.name}=${cookie.value}`)
      .join('; ');
  }

  get(name: string): string | undefined {
    return [...this.cookies.values()].find((cookie) => cookie.name === name)?.value;
  }

  set(name: string, value: string, path = '/'): void {
    this.cookies.set(`${name};${path}`, { name, value, path });
  }
}

export interface ProviderStep {
  /** auth's redirect to the provider. */
  start: Response;
  /** The provider's authorization URL, as auth built it. */
  authorizeUrl: URL;
  /** Where the provider sent the browser back (code and state in the query). */
  callbackUrl: URL;
}

const withCookies = (jar: CookieJar, url: URL, headers: Record<string, string> = {}) => {
  const cookie = jar.headerFor(url.pathname);
  return cookie ? { ...headers, cookie } : headers;
};

/**
 * The browser's part of a provider sign-in up to the provider's redirect back: opens
 * `/auth/oauth/:provider` (keeping auth's cookies), follows it to the stand-in, which signs in
 * the user `login_hint` names without a form, and stops at the redirect to auth's callback.
 */
export async function authorizeAtProvider(
  authUrl: string,
  provider: StandInProvider | string,
  options: { jar?: CookieJar; loginHint?: string; returnTo?: string; path?: string; headers?: Record<string, string> } = {},
): Promise<ProviderStep & { jar: CookieJar }> {
  const jar = options.jar ?? new CookieJar();
  const startUrl = new URL(`${authUrl}${options.path ?? `/auth/oauth/${provider}`}`);
  if (options.loginHint) startUrl.searchParams.set('login_hint', options.loginHint);
  if (options.returnTo) startUrl.searchParams.set('return_to', options.returnTo);
  const start = await fetch(startUrl, { redirect: 'manual', headers: withCookies(jar, startUrl, options.headers) });
  jar.take(start.headers);
  if (start.status !== 302) throw new Error(`start answered ${start.status}: ${await start.text()}`);
  const authorizeUrl = new URL(start.headers.get('location')!);
  const atProvider = await fetch(authorizeUrl, { redirect: 'manual' });
  if (atProvider.status !== 302) throw new Error(`the provider answered ${atProvider.status}: ${await atProvider.text()}`);
  return { start, authorizeUrl, callbackUrl: new URL(atProvider.headers.get('location')!), jar };
}

/**
 * Brings the provider's answer back to auth as a browser does: a GET of the callback URL, or, for
 * Apple's `form_post`, the cross-site form post Apple's page makes (oauth2-mock-server answers by
 * redirect only, so the test posts the same fields the way the browser would), with `user` on a
 * first sign-in.
 */
export async function returnToAuth(
  authUrl: string,
  step: { callbackUrl: URL; jar: CookieJar },
  options: { formPost?: boolean; appleUser?: Record<string, unknown>; override?: Record<string, string> } = {},
): Promise<Response> {
  const target = new URL(`${authUrl}${step.callbackUrl.pathname}`);
  const params = new URLSearchParams(step.callbackUrl.search);
  for (const [name, value] of Object.entries(options.override ?? {})) params.set(name, value);
  let response: Response;
  if (options.formPost) {
    if (options.appleUser) params.set('user', JSON.stringify(options.appleUser));
    response = await fetch(target, {
      method: 'POST',
      redirect: 'manual',
      headers: withCookies(step.jar, target, { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://appleid.apple.com', 'sec-fetch-site': 'cross-site' }),
      body: params.toString(),
    });
  } else {
    target.search = params.toString();
    response = await fetch(target, { redirect: 'manual', headers: withCookies(step.jar, target) });
  }
  step.jar.take(response.headers);
  return response;
}

/** A whole provider sign-in in one call; the jar then holds the session cookie. */
export async function signInWithProvider(
  authUrl: string,
  provider: StandInProvider,
  options: { loginHint?: string; returnTo?: string; appleUser?: Record<string, unknown>; jar?: CookieJar } = {},
) {
  const step = await authorizeAtProvider(authUrl, provider, options);
  const response = await returnToAuth(authUrl, step, { formPost: provider === 'apple', appleUser: options.appleUser });
  return { ...step, response, session: step.jar.get('session_token') };
}

/** The stand-in's client ids as `authEnv` configures them. */
export const webClientId = (provider: StandInProvider) => `malet-${provider}`;
export const appClientId = (provider: StandInProvider) => `malet-${provider}-app`;

export type { OAuthProviderStandIn };
