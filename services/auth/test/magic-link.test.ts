import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createTestClock, enrollTotp, requestMagicLink, signedInUser, startAuthForFile, type HttpAnswer } from './support';

const clock = createTestClock();
const { auth, api } = startAuthForFile({
    clock,
    seed: ['user@example.com'],
    env: { RETURN_TO_ALLOWLIST: 'http://localhost:3000,https://app.example.com' },
  });

/** Requests a link and reads it out of the email the SMTP server received. */
async function requestLink(email: string, returnTo?: string): Promise<{ link: URL; token: string }> {
  const { answer, message, href, link, token } = await requestMagicLink(api, auth.mail, email, returnTo);
  expect(answer).toEqual({ success: true, expires_in: 900 });
  // The html part carries the same link.
  expect(message.html).toContain(href);
  expect(link.origin).toBe('http://localhost:3008');
  return { link, token };
}

/** Opens the link's page (what a mail scanner's prefetch does too). */
const fetchLinkPage = (link: URL) => api.get(`${link.pathname}${link.search}`, undefined, { redirect: 'manual' });

/** Posts the page's form back, as the page's script or button does (no redirect following). */
const postLinkForm = (token: string, headers: Record<string, string> = { origin: 'http://localhost:3008', 'sec-fetch-site': 'same-origin' }) =>
  api.post('/auth/magic-link/callback', new URLSearchParams({ token }).toString(), { 'content-type': 'application/x-www-form-urlencoded', ...headers }, { redirect: 'manual' });

/** Opens the emailed link as a browser does: the page, then the form it posts. */
async function openLink(link: URL): Promise<HttpAnswer> {
  const page = await fetchLinkPage(link);
  if (page.status !== 200) return page;
  const token = /name="token" value="([^"]+)"/.exec(page.text)?.[1];
  expect(token).toBeDefined();
  return postLinkForm(token!);
}

describe('magic links against real PostgreSQL, Redis and SMTP', () => {
  it('opens the link: session cookie, signed-in page, single use; a new email signs up', async () => {
    const email = 'link.newcomer@example.com';
    const { link, token } = await requestLink(email);
    expect(token).toMatch(/^ml_[A-Za-z0-9_-]{43}$/);
    const opened = await openLink(link);
    expect(opened.status).toBe(200);
    expect(opened.headers.get('content-type')).toMatch(/text\/html/);
    expect(opened.text).toContain('You are signed in');
    const cookie = opened.headers.get('set-cookie') ?? '';
    const sessionToken = /session_token=(sess_[^;]+)/.exec(cookie)?.[1];
    expect(sessionToken).toBeDefined();
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    const me = await api.get('/me', { cookie: `session_token=${sessionToken}` });
    expect(me.body).toMatchObject({ email, email_verified: true });

    const again = await openLink(link);
    expect(again.status).toBe(400);
    expect(again.headers.get('set-cookie')).toBeNull();
    expect(again.text).toContain('does not work');
  });

  it('spends nothing when the link is only fetched, as mail scanners and link previews do', async () => {
    const { link, token } = await requestLink('prefetched@example.com');
    for (let scan = 0; scan < 3; scan++) {
      const page = await fetchLinkPage(link);
      expect(page.status).toBe(200);
      expect(page.headers.get('set-cookie')).toBeNull();
      const html = page.text;
      expect(html).toContain('<form id="continue" method="post" action="/auth/magic-link/callback">');
      expect(html).toContain('<script src="/auth/magic-link/continue.js"></script>');
    }
    const spent = await auth.rows(sql`select consumed_at from login_challenges where secret_hash = ${createHash('sha256').update(token).digest('hex')}`);
    expect(spent).toEqual([{ consumed_at: null }]);
    expect((await postLinkForm(token)).headers.get('set-cookie')).toMatch(/session_token=sess_/);
  });

  it('serves the page under a CSP that allows only its own script and form posts to the return_to allow-list', async () => {
    const { link } = await requestLink('csp.check@example.com');
    const page = await fetchLinkPage(link);
    const policy = page.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("form-action 'self' http://localhost:3000 https://app.example.com");
    expect(page.headers.get('referrer-policy')).toBe('same-origin');
    const script = await api.get('/auth/magic-link/continue.js');
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect(script.text).toContain("getElementById('continue').submit()");
  });

  it('refuses the form from another site (login CSRF) without spending the link', async () => {
    const { token } = await requestLink('csrf.link@example.com');
    const crossSite: [Record<string, string>, string][] = [
      [{ origin: 'https://evil.example.com', 'sec-fetch-site': 'cross-site' }, 'csrf:origin_not_trusted'],
      [{ origin: 'null' }, 'csrf:origin_not_trusted'],
      [{ 'sec-fetch-site': 'cross-site' }, 'csrf:cross_site'],
      [{ origin: 'https://evil.example.com' }, 'csrf:origin_not_trusted'],
    ];
    for (const [headers, code] of crossSite) {
      const refused = await postLinkForm(token, headers);
      expect(refused.status, JSON.stringify(headers)).toBe(403);
      expect(refused.body).toMatchObject({ status: 403, code });
    }
    // A trusted web app origin, or a non-browser client with neither header, may post it.
    expect((await postLinkForm(token, { origin: 'http://localhost:3000' })).status).toBe(200);
  });

  it('redirects (303) to an allow-listed return_to after sign-in', async () => {
    const { link } = await requestLink('user@example.com', 'https://app.example.com/welcome?tab=1');
    const opened = await openLink(link);
    expect(opened.status).toBe(303);
    expect(opened.headers.get('location')).toBe('https://app.example.com/welcome?tab=1');
    expect(opened.headers.get('set-cookie')).toMatch(/session_token=sess_/);
  });

  it('refuses return_to outside the allow-list before sending anything (no open redirect)', async () => {
    const hostile = [
      'https://evil.example.com/',
      '//evil.example.com',
      '/relative/path',
      'javascript:alert(1)',
      'http://localhost:3000@evil.example.com/',
      'http://localhost:3000.evil.example.com/',
      'https://app.example.com:8443/',
      'http://app.example.com/',
      'data:text/html,hi',
    ];
    const before = (await auth.mailCount());
    const challengesBefore = Number((await auth.rows(sql`select count(*)::int as n from login_challenges`))[0]!.n);
    for (const returnTo of hostile) {
      const response = await api.post('/auth/magic-link/start', { email: 'user@example.com', return_to: returnTo });
      expect(response.status, returnTo).toBe(400);
      expect(response.body).toMatchObject({ status: 400, code: 'auth:return_to_not_allowed' });
    }
    const challengesAfter = Number((await auth.rows(sql`select count(*)::int as n from login_challenges`))[0]!.n);
    expect(challengesAfter).toBe(challengesBefore);
    await auth.expectNoMail('user@example.com', before);
    expect((await auth.mailCount())).toBe(before);
  });

  it('ignores a return_to added to the link itself: only the one chosen at start counts', async () => {
    const { link } = await requestLink('user@example.com');
    link.searchParams.set('return_to', 'https://evil.example.com/');
    const opened = await openLink(link);
    expect(opened.status).toBe(200);
    expect(opened.headers.get('location')).toBeNull();
  });

  it('verifies by API: JSON session once, then 401; the token is stored only as its SHA-256', async () => {
    const { token } = await requestLink('user@example.com');
    const stored = (await auth.rows(sql`select secret_hash from login_challenges where kind = 'magic_link'`)).map((r) =>
      String(r.secret_hash),
    );
    expect(stored).toContain(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(stored)).not.toContain(token);

    const first = await api.post('/auth/magic-link/verify', { token });
    expect(first.status).toBe(200);
    const body = first.body as { session_token: string; user: { email: string } };
    expect(body.session_token).toMatch(/^sess_/);
    expect(body.user.email).toBe('user@example.com');
    const second = await api.post('/auth/magic-link/verify', { token });
    expect(second.status).toBe(401);
    expect(second.body).toMatchObject({ status: 401, code: 'auth:invalid_link' });
  });

  it('lets exactly one of many parallel verifications of one token win', async () => {
    const { token } = await requestLink('racer@example.com');
    const responses = await Promise.all(Array.from({ length: 20 }, () => api.post('/auth/magic-link/verify', { token })));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 401)).toHaveLength(19);
  });

  it('expires a link after 15 minutes: it works just before, not just after', async () => {
    const inTime = await requestLink('user@example.com');
    const late = await requestLink('user@example.com');
    clock.advance(15 * 60_000 - 1);
    expect((await api.post('/auth/magic-link/verify', { token: inTime.token })).status).toBe(200);
    clock.advance(2);
    expect((await api.post('/auth/magic-link/verify', { token: late.token })).body).toMatchObject({ status: 401, code: 'auth:invalid_link' });
  });

  it('answers start identically for known and unknown emails', async () => {
    const answers = new Set<string>();
    for (const email of ['user@example.com', 'stranger@example.com']) {
      const response = await api.post('/auth/magic-link/start', { email });
      answers.add(`${response.status} ${response.text}`);
    }
    expect([...answers]).toEqual(['200 {"success":true,"expires_in":900}']);
  });

  it('never reflects the request into the page', async () => {
    const probe = '<script>alert(1)</script>';
    const response = await api.get(`/auth/magic-link/callback?token=${encodeURIComponent(probe)}`, undefined, { redirect: 'manual' });
    expect(response.status).toBe(400);
    const html = response.text;
    expect(html).not.toContain('<script');
    expect(html).not.toContain('alert(1)');
    const missing = await api.get('/auth/magic-link/callback', undefined, { redirect: 'manual' });
    expect(missing.status).toBe(400);
  });

  it('hands an MFA user to the second factor: mfa_token in the return_to fragment, no session cookie', async () => {
    const { user, headers } = await signedInUser(auth, 'mfa.link@example.com');
    await enrollTotp(api, headers, clock);
    const { link } = await requestLink(user.email, 'http://localhost:3000/signin');
    const opened = await openLink(link);
    expect(opened.status).toBe(303);
    expect(opened.headers.get('set-cookie')).toBeNull();
    const location = new URL(opened.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe('http://localhost:3000/signin');
    const fragment = new URLSearchParams(location.hash.slice(1));
    expect(fragment.get('mfa_token')).toBeTruthy();
    expect(fragment.get('mfa_methods')).toContain('totp');

    const { token } = await requestLink(user.email);
    const byApi = await api.post('/auth/magic-link/verify', { token });
    expect(byApi.status).toBe(200);
    expect(byApi.body).toMatchObject({ mfa_required: true });
  });
});
