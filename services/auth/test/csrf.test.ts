import { describe, expect, it } from 'vitest';
import { issueDevToken, startAuthForFile } from './support';

const { auth, api } = startAuthForFile({ seed: ['user@example.com'], env: { CSRF_TRUSTED_ORIGINS: 'http://localhost:3000,https://app.example.com' } });

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

  it('leaves service-to-service calls with an internal token header alone', async () => {
    const token = await session();
    const response = await logout({ cookie: `session_token=${token}`, origin: 'https://evil.example.com', 'x-internal-token': 'anything' });
    // Past the CSRF check; logout itself only looks at the session.
    expect(response.status).toBe(200);
  });

  it('leaves requests without a session cookie alone (sign-in from any origin)', async () => {
    const response = await api.post('/auth/email/login/start', { email: 'user@example.com' }, { origin: 'https://evil.example.com', cookie: 'theme=dark' });
    expect(response.status).toBe(200);
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
