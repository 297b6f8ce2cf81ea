import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createInternalTokenSigner } from '@malet/internal-auth';
import {
  STRONG,
  createTestClock,
  enrollTotp,
  issueDevToken,
  login,
  registerUser,
  requestCode,
  requestMagicLink,
  signedInUser,
  startAuthForFile,
  type HttpAnswer,
} from './support';

const clock = createTestClock();
const { auth, api } = startAuthForFile({ clock, seed: ['user@example.com'], env: { CSRF_TRUSTED_ORIGINS: 'http://localhost:3000,https://app.example.com' } });

const session = () => issueDevToken(auth, 'user@example.com');
const alive = async (token: string) => (await api.get('/me', { authorization: `Bearer ${token}` })).status === 200;
const logout = (headers: Record<string, string>) => api.post('/auth/logout', undefined, headers);

describe('CSRF protection for cookie-authenticated state changes', () => {
  it.each([
    ['an untrusted Origin', { origin: 'https://evil.example.com' }, 'csrf:origin_not_trusted'],
    ['Origin: null', { origin: 'null' }, 'csrf:origin_not_trusted'],
    ['a look-alike Origin', { origin: 'https://app.example.com.evil.example' }, 'csrf:origin_not_trusted'],
    ['Sec-Fetch-Site: cross-site without Origin', { 'sec-fetch-site': 'cross-site' }, 'csrf:cross_site'],
    ['Sec-Fetch-Site: same-site without Origin', { 'sec-fetch-site': 'same-site' }, 'csrf:cross_site'],
    ['an untrusted Referer alone', { referer: 'https://evil.example.com/page' }, 'csrf:origin_not_trusted'],
  ])('refuses a cookie-carrying POST with %s (403) and changes nothing', async (_name, headers, code) => {
    const token = await session();
    const response = await logout({ cookie: `session_token=${token}`, ...headers });
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ status: 403, code });
    expect(await alive(token)).toBe(true);
  });

  it.each([
    ['a trusted Origin', { origin: 'https://app.example.com' }],
    ["auth's own origin (PUBLIC_URL)", { origin: 'http://localhost:3008' }],
    ['Sec-Fetch-Site: same-origin', { 'sec-fetch-site': 'same-origin' }],
    ['a trusted Referer', { referer: 'http://localhost:3000/settings' }],
    ['no browser headers at all (curl with a cookie)', {}],
  ])('accepts a cookie-carrying POST with %s', async (_name, headers) => {
    const token = await session();
    const response = await logout({ cookie: `session_token=${token}`, ...headers });
    expect(response.status).toBe(200);
    expect(await alive(token)).toBe(false);
  });

  it('leaves Bearer-authenticated requests alone, whatever their Origin', async () => {
    const token = await session();
    const response = await logout({ authorization: `Bearer ${token}`, origin: 'https://evil.example.com' });
    expect(response.status).toBe(200);
  });

  it('leaves service-to-service calls carrying a valid internal token alone', async () => {
    const token = await session();
    const internal = await createInternalTokenSigner({ secret: auth.config.internalTokenSecret, issuer: 'gateway' })();
    const response = await logout({ cookie: `session_token=${token}`, origin: 'https://evil.example.com', 'x-internal-token': internal });
    // Past the CSRF check; logout itself only looks at the session.
    expect(response.status).toBe(200);
  });

  it.each([
    ['any value', 'anything'],
    ['a token signed with another secret', 'forged'],
  ])('does not exempt a request whose internal token header holds %s: its untrusted Origin is refused', async (_name, kind) => {
    const token = await session();
    const header = kind === 'forged' ? await createInternalTokenSigner({ secret: 'f'.repeat(48), issuer: 'gateway' })() : 'anything';
    const response = await logout({ cookie: `session_token=${token}`, origin: 'https://evil.example.com', 'x-internal-token': header });
    expect(response.body).toMatchObject({ status: 403, code: 'csrf:origin_not_trusted' });
    expect(await alive(token)).toBe(true);
  });

  it('checks requests without a session cookie too: a sign-in code cannot be requested from a hostile page', async () => {
    const response = await api.post('/auth/email/login/start', { email: 'user@example.com' }, { origin: 'https://evil.example.com', cookie: 'theme=dark' });
    expect(response.body).toMatchObject({ status: 403, code: 'csrf:origin_not_trusted' });
  });

  it('lets API clients without cookies and without browser headers sign in as before', async () => {
    const code = await requestCode(api, auth.mail, 'user@example.com');
    expect((await api.post('/auth/email/login/finish', { email: 'user@example.com', code })).status).toBe(200);
  });

  it('leaves safe methods alone: the gateway validates cookies with GET', async () => {
    const token = await session();
    const response = await api.get('/auth/validate', { cookie: `session_token=${token}`, origin: 'https://evil.example.com', 'sec-fetch-site': 'cross-site' });
    expect(response.status).toBe(200);
  });

  it('accepts a cookie-carrying POST with the headers a gateway forwards from a trusted page: its Origin, Sec-Fetch-Site: same-site, X-Forwarded-*', async () => {
    // Auth alone, called directly with what the gateway passes on from the browser; that the
    // gateway really forwards them is the gateway's own tests' business.
    const token = await session();
    const response = await api.post('/auth/refresh', undefined, {
      cookie: `session_token=${token}`,
      origin: 'http://localhost:3000',
      'sec-fetch-site': 'same-site',
      'x-forwarded-for': '203.0.113.9',
      'x-forwarded-host': 'localhost:30000',
    });
    expect(response.status).toBe(200);
  });
});

/** A form post as a hostile page's auto-submitting form sends it: form-encoded, with the browser's headers. */
const formPost = (path: string, fields: Record<string, string>, headers: Record<string, string>) =>
  api.post(path, new URLSearchParams(fields).toString(), { 'content-type': 'application/x-www-form-urlencoded', ...headers }, { redirect: 'manual' });

const hostile = { origin: 'https://evil.example.com', 'sec-fetch-site': 'cross-site' };
const hostileWithoutOrigin = { 'sec-fetch-site': 'cross-site' };
const trustedPage = { origin: 'https://app.example.com', 'sec-fetch-site': 'same-site' };

const sessionCount = async () => Number((await auth.rows(sql`select count(*)::int as n from sessions`))[0]!.n);

/** A sign-in each route would complete: the attacker's own valid credentials, posted into the visitor's browser. */
const signIns: Record<string, () => Promise<{ path: string; fields: Record<string, string> }>> = {
  async 'POST /auth/login'() {
    const email = `csrf.password.${Math.random()}@example.com`;
    await registerUser(api, auth.mail, email);
    return { path: '/auth/login', fields: { email, password: STRONG } };
  },
  async 'POST /auth/email/login/finish'() {
    const code = await requestCode(api, auth.mail, 'user@example.com');
    return { path: '/auth/email/login/finish', fields: { email: 'user@example.com', code } };
  },
  async 'POST /auth/magic-link/verify'() {
    const { token } = await requestMagicLink(api, auth.mail, 'user@example.com');
    return { path: '/auth/magic-link/verify', fields: { token } };
  },
  async 'POST /auth/magic-link/callback'() {
    const { token } = await requestMagicLink(api, auth.mail, 'user@example.com');
    return { path: '/auth/magic-link/callback', fields: { token } };
  },
  async 'POST /auth/mfa/verify'() {
    const { headers, user } = await signedInUser(auth, `csrf.totp.${Math.random()}@example.com`);
    const { app } = await enrollTotp(api, headers, clock);
    const challenge = await auth.completeSignIn({ user, method: 'email_otp', meta: { ip: null, userAgent: null } });
    if (challenge.kind !== 'mfa_required') throw new Error('expected a challenge');
    clock.advance(30_000);
    return { path: '/auth/mfa/verify', fields: { mfa_token: challenge.challenge.mfaToken, code: app.code() } };
  },
  async 'POST /auth/mfa/backup'() {
    const { headers, user } = await signedInUser(auth, `csrf.backup.${Math.random()}@example.com`);
    const { backupCodes } = await enrollTotp(api, headers, clock);
    const challenge = await auth.completeSignIn({ user, method: 'email_otp', meta: { ip: null, userAgent: null } });
    if (challenge.kind !== 'mfa_required') throw new Error('expected a challenge');
    return { path: '/auth/mfa/backup', fields: { mfa_token: challenge.challenge.mfaToken, code: backupCodes[0]! } };
  },
  async 'POST /auth/refresh'() {
    const email = `csrf.refresh.${Math.random()}@example.com`;
    await registerUser(api, auth.mail, email);
    const { body } = await login(auth, email, STRONG);
    return { path: '/auth/refresh', fields: { refresh_token: String(body.refresh_token) } };
  },
};

const setsSessionCookie = (answer: HttpAnswer) => (answer.headers.get('set-cookie') ?? '').includes('session_token=sess_');

describe('login CSRF: a hostile page cannot sign the visitor into an account', () => {
  it.each(Object.keys(signIns))('%s refuses a cross-site form post carrying valid credentials: 403, no session, no cookie', async (route) => {
    for (const headers of [hostile, hostileWithoutOrigin]) {
      const { path, fields } = await signIns[route]!();
      const before = await sessionCount();
      const refused = await formPost(path, fields, headers);
      expect(refused.status, JSON.stringify(headers)).toBe(403);
      expect(refused.body).toMatchObject({ status: 403, code: expect.stringMatching(/^csrf:/) });
      expect(setsSessionCookie(refused)).toBe(false);
      expect(await sessionCount()).toBe(before);
      // The very same credentials, posted from a trusted page, sign in: the refusal was the origin's.
      const accepted = await formPost(path, fields, trustedPage);
      expect(accepted.status, `${route} from a trusted page`).toBeLessThan(400);
      expect(setsSessionCookie(accepted)).toBe(true);
    }
  });
});
