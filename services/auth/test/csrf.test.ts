import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpCatcher, type SmtpCatcher } from '@malet/testing';
import { seedDevIdentities } from '../src/features/dev-token/dev-seed';
import { issueDevToken, startAuthTestInstance, type AuthTestInstance } from './auth-test-instance';

let smtp: SmtpCatcher;
let auth: AuthTestInstance;

beforeAll(async () => {
  smtp = await startSmtpCatcher();
  auth = await startAuthTestInstance({ env: { SMTP_URL: smtp.url, CSRF_TRUSTED_ORIGINS: 'http://localhost:3000,https://app.example.com' } });
  await seedDevIdentities(auth.identities, { emails: ['user@example.com'], adminEmails: [] });
});
afterAll(async () => {
  await auth?.stop();
  await smtp?.stop();
});

const session = async () => (await issueDevToken(auth.url, 'user@example.com')).body.session_token;
const alive = async (token: string) => (await fetch(`${auth.url}/me`, { headers: { authorization: `Bearer ${token}` } })).status === 200;
const logout = (headers: Record<string, string>) => fetch(`${auth.url}/auth/logout`, { method: 'POST', headers });

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
    expect(await response.json()).toMatchObject({ status: 403, code });
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

  it('leaves service-to-service calls with an internal token header alone', async () => {
    const token = await session();
    const response = await logout({ cookie: `session_token=${token}`, origin: 'https://evil.example.com', 'x-internal-token': 'anything' });
    // Past the CSRF check; logout itself only looks at the session.
    expect(response.status).toBe(200);
  });

  it('leaves requests without a session cookie alone (sign-in from any origin)', async () => {
    const response = await fetch(`${auth.url}/auth/email/login/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example.com', cookie: 'theme=dark' },
      body: JSON.stringify({ email: 'user@example.com' }),
    });
    expect(response.status).toBe(200);
  });

  it('leaves safe methods alone: the gateway validates cookies with GET', async () => {
    const token = await session();
    const response = await fetch(`${auth.url}/auth/validate`, {
      headers: { cookie: `session_token=${token}`, origin: 'https://evil.example.com', 'sec-fetch-site': 'cross-site' },
    });
    expect(response.status).toBe(200);
  });

  it('lets a browser request proxied by the gateway through, with the Origin it forwards', async () => {
    // The gateway forwards the browser's Origin and its own X-Forwarded-* headers untouched.
    const token = await session();
    const response = await fetch(`${auth.url}/auth/refresh`, {
      method: 'POST',
      headers: {
        cookie: `session_token=${token}`,
        origin: 'http://localhost:3000',
        'sec-fetch-site': 'same-site',
        'x-forwarded-for': '203.0.113.9',
        'x-forwarded-host': 'localhost:30000',
      },
    });
    expect(response.status).toBe(200);
  });
});
