import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, launchChromium, type Browser, type BrowserContext } from '@malet/testing';
import { STRONG, STRONGER, bearer, login, startAuth, type AuthHarness } from './support';

/**
 * Every link auth emails, followed in real Chromium as the recipient would: each opens a working
 * page under a strict CSP (no inline script or style), with labelled controls, whose form does
 * what the email says. (Magic links have their own browser test.)
 */
type Page = Awaited<ReturnType<BrowserContext['newPage']>>;
type Response = NonNullable<Awaited<ReturnType<Page['goto']>>>;

let auth: AuthHarness;
let browser: Browser;
let origin: string;
const followed = new Set<string>();

beforeAll(async () => {
  // PUBLIC_URL is the origin the browser sees, as in production: the emailed links point at it.
  const port = await freePort();
  origin = `http://localhost:${port}`;
  auth = await startAuth({ port, env: { PUBLIC_URL: origin } });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await auth?.stop();
});

/** Every link in a mail (text and html parts), waiting for the newest mail to `to` whose subject matches. */
async function linksIn(to: string, subject: RegExp, after: number): Promise<string[]> {
  const mail = await auth.mail.waitForMail(to, (m) => auth.mail.messages.indexOf(m) >= after && subject.test(m.subject));
  const links = new Set([...`${mail.text}\n${mail.html}`.matchAll(/https?:\/\/[^\s"'<>]+/g)].map((match) => match[0].replace(/&amp;/g, '&')));
  expect(links.size, `links in "${mail.subject}"`).toBeGreaterThan(0);
  return [...links];
}

/** A fresh browser opening `url`: the page, and what the browser said about its CSP. */
async function open(url: string): Promise<{ context: BrowserContext; page: Page; response: Response; cspViolations: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cspViolations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  const response = (await page.goto(url))!;
  followed.add(new URL(url).pathname);
  return { context, page, response, cspViolations };
}

/** What every page of auth must be: answered, strict CSP, nothing inline, every control labelled, never cached. */
async function expectWellFormedPage(page: Page, response: Response, cspViolations: string[], status = 200) {
  expect(response.status(), page.url()).toBe(status);
  const headers = response.headers();
  expect(headers['content-security-policy']).toContain("default-src 'none'");
  expect(headers['content-security-policy']).not.toContain('unsafe-inline');
  expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(headers['cache-control']).toBe('no-store');
  // Evaluated in the page (a string: this file is compiled without the DOM's types).
  const audit = await page.evaluate(`({
    inlineScripts: document.querySelectorAll('script:not([src])').length,
    styleElements: document.querySelectorAll('style').length,
    styleAttributes: document.querySelectorAll('[style]').length,
    unlabelled: [...document.querySelectorAll('input:not([type=hidden])')].filter((input) => input.labels.length === 0).length,
    stylesheetApplied: getComputedStyle(document.body).fontFamily.includes('system-ui'),
  })`);
  expect(audit).toEqual({ inlineScripts: 0, styleElements: 0, styleAttributes: 0, unlabelled: 0, stylesheetApplied: true });
  expect(cspViolations).toEqual([]);
}

/**
 * Opens `url`, checks the page, fills the labelled fields and presses the button; returns the
 * page it leads to (answered with `status`: a refused form is a 4xx page).
 */
async function followAndSubmit(url: string, fields: Record<string, string>, button: string | RegExp, status = 200) {
  const { context, page, response, cspViolations } = await open(url);
  await expectWellFormedPage(page, response, cspViolations);
  for (const [label, value] of Object.entries(fields)) await page.getByLabel(label).fill(value);
  const [answer] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: button }).click()]);
  await expectWellFormedPage(page, answer!, cspViolations, status);
  const result = { heading: await page.textContent('h1'), text: await page.textContent('main') };
  await context.close();
  return result;
}

const verifiedAt = async (email: string) => (await auth.rows(sql`select email_verified_at from identities where email = ${email}`))[0]?.email_verified_at;

describe('every emailed link opens a working page in Chromium', () => {
  it('the verification email: its page verifies the address, keeping the password given on it', async () => {
    const email = 'browser.verify@example.com';
    const before = await auth.mailCount();
    expect((await auth.api.post('/auth/register', { email, password: STRONG })).status).toBe(201);
    const [link] = await linksIn(email, /Verify your/, before);
    expect(link).toMatch(new RegExp(`^${origin}/auth/verify-email\\?token=vfy_`));
    expect(await verifiedAt(email)).toBeNull();
    const result = await followAndSubmit(link!, { 'Password (if you chose one when you signed up)': STRONG }, 'Verify my email');
    expect(result.heading).toBe('Email verified');
    expect(await verifiedAt(email)).not.toBeNull();
    expect((await login(auth, email, STRONG)).status).toBe(200);
  });

  it('"you already have an account" links to the forgot-password page, whose form mails a reset link; the reset page sets the new password; the "password changed" notice links back', async () => {
    const email = 'browser.reset@example.com';
    await auth.api.post('/auth/register', { email, password: STRONG });
    let before = await auth.mailCount();
    await auth.api.post('/auth/register', { email, password: STRONG });
    const [forgotLink] = await linksIn(email, /already have/, before);
    expect(forgotLink).toBe(`${origin}/auth/forgot-password`);

    before = await auth.mailCount();
    const asked = await followAndSubmit(forgotLink!, { 'Email address': email }, 'Email me a reset link');
    expect(asked.heading).toBe('Check your email');
    const [resetLink] = await linksIn(email, /Reset your/, before);
    expect(resetLink).toMatch(new RegExp(`^${origin}/auth/reset-password\\?token=rst_`));

    before = await auth.mailCount();
    const reset = await followAndSubmit(resetLink!, { 'New password': STRONGER }, 'Set my new password');
    expect(reset.heading).toBe('Password changed');
    expect((await login(auth, email, STRONGER)).status).toBe(200);
    expect((await login(auth, email, STRONG)).status).toBe(401);

    const [noticeLink] = await linksIn(email, /password was changed/, before);
    const { context, page, response, cspViolations } = await open(noticeLink!);
    await expectWellFormedPage(page, response, cspViolations);
    expect(await page.getByLabel('Email address').count()).toBe(1);
    await context.close();
  });

  it('a rejected new password shows the reset form again with the reason, and the link still works', async () => {
    const email = 'browser.weak@example.com';
    await auth.api.post('/auth/register', { email, password: STRONG });
    const before = await auth.mailCount();
    await auth.api.post('/auth/forgot-password', { email });
    const [resetLink] = await linksIn(email, /Reset your/, before);
    const weak = await followAndSubmit(resetLink!, { 'New password': 'password123' }, 'Set my new password', 400);
    expect(weak.heading).toBe('Choose a new password');
    expect(weak.text).toContain('too common');
    expect((await followAndSubmit(resetLink!, { 'New password': STRONGER }, 'Set my new password')).heading).toBe('Password changed');
  });

  it('the email change: the new address confirms on its page, the old one is told and undoes it from its page', async () => {
    const email = 'browser.from@example.com';
    const next = 'browser.to@example.com';
    const { identity } = await auth.identities.createWithEvent({ email, verified: true });
    const token = (await auth.api.post<{ session_token: string }>('/auth/dev/token', { email })).body.session_token;
    let before = await auth.mailCount();
    expect((await auth.api.post('/auth/change-email', { new_email: next }, bearer(token))).status).toBe(200);
    const [beingChangedLink] = await linksIn(email, /being changed/, before);
    expect(beingChangedLink).toBe(`${origin}/auth/forgot-password`);
    const [confirmLink] = await linksIn(next, /Confirm your new/, before);
    expect(confirmLink).toMatch(new RegExp(`^${origin}/auth/confirm-email-change\\?token=eml_`));

    before = await auth.mailCount();
    const confirmed = await followAndSubmit(confirmLink!, {}, 'Confirm my new email');
    expect(confirmed.heading).toBe('Email address changed');
    expect((await auth.identities.findById(identity.id))?.email).toBe(next);

    const [undoLink] = await linksIn(email, /was changed/, before);
    expect(undoLink).toMatch(new RegExp(`^${origin}/auth/undo-email-change\\?token=undo_`));
    before = await auth.mailCount();
    const undone = await followAndSubmit(undoLink!, {}, 'Undo the change');
    expect(undone.heading).toBe('Email change undone');
    expect((await auth.identities.findById(identity.id))?.email).toBe(email);
    const [restoredLink] = await linksIn(email, /was restored/, before);
    expect(restoredLink).toBe(`${origin}/auth/forgot-password`);
  });

  it('a used or forged link opens a page that says it does not work, echoing nothing', async () => {
    for (const path of ['/auth/verify-email', '/auth/reset-password', '/auth/confirm-email-change', '/auth/undo-email-change']) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const response = (await page.goto(`${origin}${path}?token=${encodeURIComponent('"><script>alert(1)</script>')}`))!;
      expect(response.status()).toBe(400);
      expect(await page.textContent('h1')).toBe('This link does not work');
      expect(await response.text()).not.toContain('<script>alert');
      await context.close();
    }
  });

  it('covered every page an email links to', () => {
    expect([...followed].sort()).toEqual(['/auth/confirm-email-change', '/auth/forgot-password', '/auth/reset-password', '/auth/undo-email-change', '/auth/verify-email']);
  });
});
