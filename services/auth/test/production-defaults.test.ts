import { sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  STRONG,
  authenticatorFrom,
  bearer,
  createTestClock,
  registerUser,
  requestCode,
  requestMagicLink,
  startAuthForFile,
  type HttpAnswer,
} from './support';

/**
 * Auth as production runs it by default (NODE_ENV=production, its own secrets, nothing of the
 * test conveniences: Secure cookies, rate limits on, no dev mode), observed over HTTP: what its
 * session cookie says, that the dev routes are gone, and the headers of every answer that
 * carries a token.
 */
const clock = createTestClock();
// Rate limits are on (production refuses them off): each test is its own client behind a trusted proxy.
const { auth, api } = startAuthForFile({ clock, production: true, env: { TRUST_PROXY: 'loopback' } });
let client = 0;
beforeEach(() => {
  client += 1;
});

/** Every answer the tests below received, with the request that got it. */
const answers: { request: string; answer: HttpAnswer }[] = [];
async function call(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}) {
  const answer = await api.request(method, path, body, { headers: { 'x-forwarded-for': `203.0.113.${client}`, ...headers }, redirect: 'manual' });
  answers.push({ request: `${method} ${path}`, answer });
  return answer;
}

/** Our opaque tokens (sessions, refresh tokens, MFA challenges), a TOTP secret or backup codes. */
const carriesToken = (answer: HttpAnswer) =>
  /\b(sess|ref|mfa)_[A-Za-z0-9_-]{43}\b/.test(answer.text) || 'secret' in answer.body || 'backup_codes' in answer.body || answer.headers.getSetCookie().length > 0;

/** The session cookie an answer sets, as attributes (lower-cased names). */
function sessionCookie(answer: HttpAnswer): Record<string, string | true> {
  const header = answer.headers.getSetCookie().find((cookie) => cookie.startsWith('session_token='));
  expect(header, 'a session cookie').toBeDefined();
  const [pair, ...attributes] = header!.split(/;\s*/);
  return Object.fromEntries([
    ['value', pair!.slice('session_token='.length)],
    ...attributes.map((attribute) => {
      const [name, value] = attribute.split('=');
      return [name!.toLowerCase(), value ?? true] as const;
    }),
  ]);
}

/** A new session's cookie under the production default: Secure, HttpOnly, SameSite=Lax, the whole site, the session's lifetime. */
function expectProductionSessionCookie(answer: HttpAnswer, token: string) {
  expect(sessionCookie(answer)).toEqual({
    value: token,
    'max-age': String(auth.config.session.ttlSeconds),
    path: '/',
    expires: expect.any(String),
    httponly: true,
    secure: true,
    samesite: 'Lax',
  });
}

describe('the session cookie under the production default', () => {
  it('is Secure, HttpOnly, SameSite=Lax, Path=/ and lives as long as the session, from sign-in and from refresh; sign-out clears it with the same attributes', async () => {
    expect(auth.config.cookie.secure).toBe(true);
    const email = 'prod.cookie@example.com';
    const { code } = await registerUser(api, auth.mail, email);
    expect((await call('POST', '/auth/verify-email', { email, code, password: STRONG })).status).toBe(200);

    const signedIn = await call('POST', '/auth/login', { email, password: STRONG });
    expect(signedIn.status).toBe(200);
    expectProductionSessionCookie(signedIn, String(signedIn.body.session_token));
    expect(Number(sessionCookie(signedIn)['max-age'])).toBe(signedIn.body.expires_in);

    const refreshed = await call('POST', '/auth/refresh', { refresh_token: signedIn.body.refresh_token });
    expect(refreshed.status).toBe(200);
    expectProductionSessionCookie(refreshed, String(refreshed.body.session_token));

    const out = await call('POST', '/auth/logout', undefined, bearer(String(refreshed.body.session_token)));
    expect(out.status).toBe(200);
    const cleared = sessionCookie(out);
    expect(cleared).toMatchObject({ value: '', path: '/', httponly: true, secure: true, samesite: 'Lax' });
    expect(new Date(String(cleared.expires)).getTime()).toBeLessThan(Date.now());
  });

  it('is set the same way by the email code and the magic link', async () => {
    const email = 'prod.passwordless@example.com';
    await auth.identities.createWithEvent({ email, verified: true });
    const code = await requestCode(api, auth.mail, email);
    const byCode = await call('POST', '/auth/email/login/finish', { email, code });
    expectProductionSessionCookie(byCode, String(byCode.body.session_token));
    const { token } = await requestMagicLink(api, auth.mail, email);
    const byLink = await call('POST', '/auth/magic-link/verify', { token });
    expectProductionSessionCookie(byLink, String(byLink.body.session_token));
  });
});

describe('dev mode under the production default', () => {
  it('is off, and POST /auth/dev/token does not exist: 404, no session stored', async () => {
    expect(auth.config.dev.enabled).toBe(false);
    await auth.identities.createWithEvent({ email: 'prod.dev@example.com', verified: true });
    const sessionsBefore = (await auth.rows(sql`select count(*)::int as n from sessions`))[0]!.n;
    const answer = await call('POST', '/auth/dev/token', { email: 'prod.dev@example.com' });
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ status: 404, code: 'request:route_not_found' });
    expect(answer.text).not.toMatch(/sess_/);
    expect((await auth.rows(sql`select count(*)::int as n from sessions`))[0]!.n).toBe(sessionsBefore);
  });
});

describe('answers that carry a token', () => {
  it('a sign-in through a second factor: the challenge, the TOTP secret, the backup codes and the sessions all come with the headers below', async () => {
    const email = 'prod.mfa@example.com';
    await auth.identities.createWithEvent({ email, verified: true });
    const first = await call('POST', '/auth/email/login/finish', { email, code: await requestCode(api, auth.mail, email) });
    const session = bearer(String(first.body.session_token));
    const enroll = await call('POST', '/auth/mfa/totp/enroll', undefined, session);
    const app = authenticatorFrom(String(enroll.body.otpauth_uri), clock);
    const confirmed = await call('POST', '/auth/mfa/totp/confirm', { code: app.code() }, session);
    expect(confirmed.body.backup_codes).toHaveLength(10);
    clock.advance(30_000);
    expect((await call('POST', '/auth/mfa/backup/regenerate', { code: app.code() }, session)).status).toBe(200);

    const challenged = await call('POST', '/auth/email/login/finish', { email, code: await requestCode(api, auth.mail, email) });
    expect(challenged.body).toMatchObject({ mfa_required: true });
    clock.advance(30_000);
    const verified = await call('POST', '/auth/mfa/verify', { mfa_token: challenged.body.mfa_token, code: app.code() });
    expect(verified.status).toBe(200);
    expectProductionSessionCookie(verified, String(verified.body.session_token));
  });

  it('every one of them (all the answers above) is no-store, never framed, nosniff, and HSTS', () => {
    const carrying = answers.filter(({ answer }) => carriesToken(answer));
    expect(new Set(carrying.map(({ request }) => request))).toEqual(
      new Set([
        'POST /auth/login',
        'POST /auth/refresh',
        'POST /auth/logout',
        'POST /auth/email/login/finish',
        'POST /auth/magic-link/verify',
        'POST /auth/mfa/totp/enroll',
        'POST /auth/mfa/totp/confirm',
        'POST /auth/mfa/backup/regenerate',
        'POST /auth/mfa/verify',
      ]),
    );
    for (const { request, answer } of carrying) {
      const headers: Record<string, string> = {};
      answer.headers.forEach((value, name) => (headers[name] = value));
      expect(headers['cache-control'], request).toBe('no-store');
      expect(headers['x-content-type-options'], request).toBe('nosniff');
      expect(headers['content-security-policy'], request).toContain("frame-ancestors 'none'");
      expect(headers['x-frame-options'], request).toBe('DENY');
      const hstsMaxAge = Number(/max-age=(\d+)/.exec(headers['strict-transport-security'] ?? '')?.[1]);
      expect(hstsMaxAge, request).toBeGreaterThanOrEqual(180 * 24 * 3600);
    }
  });
});
