import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpCatcher, type SmtpCatcher } from '@malet/testing';
import { seedDevIdentities } from '../src/features/dev-token/dev-seed';
import { createTestClock, startAuthTestInstance, type AuthTestInstance } from './auth-test-instance';
import { enrollTotp, signedInUser } from './mfa-test-helpers';

const clock = createTestClock();
let smtp: SmtpCatcher;
let auth: AuthTestInstance;

beforeAll(async () => {
  smtp = await startSmtpCatcher();
  auth = await startAuthTestInstance({
    clock,
    env: { SMTP_URL: smtp.url, RETURN_TO_ALLOWLIST: 'http://localhost:3000,https://app.example.com' },
  });
  await seedDevIdentities(auth.identities, { emails: ['user@example.com'], adminEmails: [] });
});
afterAll(async () => {
  await auth?.stop();
  await smtp?.stop();
});

const postJson = (path: string, body: unknown) =>
  fetch(`${auth.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** Requests a link and reads it out of the email the SMTP server received. */
async function requestLink(email: string, returnTo?: string): Promise<{ link: URL; token: string }> {
  const before = smtp.messages.length;
  const response = await postJson('/auth/magic-link/start', { email, ...(returnTo ? { return_to: returnTo } : {}) });
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ success: true, expires_in: 900 });
  const mail = await smtp.waitForMail(email, (m) => smtp.messages.indexOf(m) >= before && /sign-in link/.test(m.subject));
  const href = /(https?:\/\/\S+\/auth\/magic-link\/callback\?token=\S+)/.exec(mail.text)?.[1];
  expect(href).toBeDefined();
  // The html part carries the same link.
  expect(mail.html).toContain(href!);
  const link = new URL(href!);
  expect(link.origin).toBe('http://localhost:3008');
  return { link, token: link.searchParams.get('token')! };
}

/** Opens the link's page (what a mail scanner's prefetch does too). */
const fetchLinkPage = (link: URL) => fetch(`${auth.url}${link.pathname}${link.search}`, { redirect: 'manual' });

/** Posts the page's form back, as the page's script or button does (no redirect following). */
const postLinkForm = (token: string, headers: Record<string, string> = { origin: 'http://localhost:3008', 'sec-fetch-site': 'same-origin' }) =>
  fetch(`${auth.url}/auth/magic-link/callback`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ token }).toString(),
  });

/** Opens the emailed link as a browser does: the page, then the form it posts. */
async function openLink(link: URL): Promise<Response> {
  const page = await fetchLinkPage(link);
  if (page.status !== 200) return page;
  const token = /name="token" value="([^"]+)"/.exec(await page.text())?.[1];
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
    expect(await opened.text()).toContain('You are signed in');
    const cookie = opened.headers.get('set-cookie') ?? '';
    const sessionToken = /session_token=(sess_[^;]+)/.exec(cookie)?.[1];
    expect(sessionToken).toBeDefined();
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    const me = await fetch(`${auth.url}/me`, { headers: { cookie: `session_token=${sessionToken}` } });
    expect(await me.json()).toMatchObject({ email, email_verified: true });

    const again = await openLink(link);
    expect(again.status).toBe(400);
    expect(again.headers.get('set-cookie')).toBeNull();
    expect(await again.text()).toContain('does not work');
  });

  it('spends nothing when the link is only fetched, as mail scanners and link previews do', async () => {
    const { link, token } = await requestLink('prefetched@example.com');
    for (let scan = 0; scan < 3; scan++) {
      const page = await fetchLinkPage(link);
      expect(page.status).toBe(200);
      expect(page.headers.get('set-cookie')).toBeNull();
      const html = await page.text();
      expect(html).toContain('<form id="continue" method="post" action="/auth/magic-link/callback">');
      expect(html).toContain('<script src="/auth/magic-link/continue.js"></script>');
    }
    const spent = await auth.db.execute(sql`select consumed_at from login_challenges where secret_hash = ${createHash('sha256').update(token).digest('hex')}`);
    expect(spent.rows).toEqual([{ consumed_at: null }]);
    expect((await postLinkForm(token)).headers.get('set-cookie')).toMatch(/session_token=sess_/);
  });

  it('serves the page under a CSP that allows only its own script and form posts to the return_to allow-list', async () => {
    const { link } = await requestLink('csp.check@example.com');
    const page = await fetchLinkPage(link);
    const policy = page.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("form-action 'self' http://localhost:3000 https://app.example.com");
    expect(page.headers.get('referrer-policy')).toBe('same-origin');
    const script = await fetch(`${auth.url}/auth/magic-link/continue.js`);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect(await script.text()).toContain("getElementById('continue').submit()");
  });

  it('refuses the form from another site (login CSRF) without spending the link', async () => {
    const { token } = await requestLink('csrf.link@example.com');
    const crossSite: Record<string, string>[] = [
      { origin: 'https://evil.example.com', 'sec-fetch-site': 'cross-site' },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { origin: 'https://evil.example.com' },
    ];
    for (const headers of crossSite) {
      const refused = await postLinkForm(token, headers);
      expect(refused.status, JSON.stringify(headers)).toBe(403);
      expect(await refused.json()).toMatchObject({ status: 403, code: 'csrf:cross_site' });
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
    const before = smtp.messages.length;
    const challengesBefore = Number((await auth.db.execute(sql`select count(*)::int as n from login_challenges`)).rows[0]!.n);
    for (const returnTo of hostile) {
      const response = await postJson('/auth/magic-link/start', { email: 'user@example.com', return_to: returnTo });
      expect(response.status, returnTo).toBe(400);
      expect(await response.json()).toMatchObject({ status: 400, code: 'auth:return_to_not_allowed' });
    }
    const challengesAfter = Number((await auth.db.execute(sql`select count(*)::int as n from login_challenges`)).rows[0]!.n);
    expect(challengesAfter).toBe(challengesBefore);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(smtp.messages.length).toBe(before);
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
    const stored = (await auth.db.execute(sql`select secret_hash from login_challenges where kind = 'magic_link'`)).rows.map((r) =>
      String(r.secret_hash),
    );
    expect(stored).toContain(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(stored)).not.toContain(token);

    const first = await postJson('/auth/magic-link/verify', { token });
    expect(first.status).toBe(200);
    const body = (await first.json()) as { session_token: string; user: { email: string } };
    expect(body.session_token).toMatch(/^sess_/);
    expect(body.user.email).toBe('user@example.com');
    const second = await postJson('/auth/magic-link/verify', { token });
    expect(second.status).toBe(401);
    expect(await second.json()).toMatchObject({ status: 401, code: 'auth:invalid_link' });
  });

  it('lets exactly one of many parallel verifications of one token win', async () => {
    const { token } = await requestLink('racer@example.com');
    const responses = await Promise.all(Array.from({ length: 20 }, () => postJson('/auth/magic-link/verify', { token })));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 401)).toHaveLength(19);
  });

  it('expires a link after 15 minutes', async () => {
    const { token } = await requestLink('user@example.com');
    clock.advance(15 * 60 * 1000 + 1);
    expect((await postJson('/auth/magic-link/verify', { token })).status).toBe(401);
  });

  it('answers start identically for known and unknown emails', async () => {
    const answers = new Set<string>();
    for (const email of ['user@example.com', 'stranger@example.com']) {
      const response = await postJson('/auth/magic-link/start', { email });
      answers.add(`${response.status} ${await response.text()}`);
    }
    expect([...answers]).toEqual(['200 {"success":true,"expires_in":900}']);
  });

  it('never reflects the request into the page', async () => {
    const probe = '<script>alert(1)</script>';
    const response = await fetch(`${auth.url}/auth/magic-link/callback?token=${encodeURIComponent(probe)}`, { redirect: 'manual' });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).not.toContain('<script');
    expect(html).not.toContain('alert(1)');
    const missing = await fetch(`${auth.url}/auth/magic-link/callback`, { redirect: 'manual' });
    expect(missing.status).toBe(400);
  });

  it('hands an MFA user to the second factor: mfa_token in the return_to fragment, no session cookie', async () => {
    const { user, headers } = await signedInUser(auth, 'mfa.link@example.com');
    await enrollTotp(auth, headers, clock);
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
    const api = await postJson('/auth/magic-link/verify', { token });
    expect(api.status).toBe(200);
    expect(await api.json()).toMatchObject({ mfa_required: true });
  });
});
