import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, launchChromium, type Browser, type BrowserContext } from '@malet/testing';
import { requestMagicLink, startAuth, type AuthHarness } from './support';
import { startLandingApp } from './support/browser-pages';

let auth: AuthHarness;
let browser: Browser;
/** The web app a link returns to: a page that only says where it is. */
let app: Awaited<ReturnType<typeof startLandingApp>>;
let appOrigin: string;
let authPort: number;

beforeAll(async () => {
  app = await startLandingApp();
  appOrigin = app.origin;
  // PUBLIC_URL is the origin the browser sees, as in production: the emailed link points at it.
  authPort = await freePort();
  auth = await startAuth({
    port: authPort,
    env: { RETURN_TO_ALLOWLIST: appOrigin, PUBLIC_URL: `http://localhost:${authPort}` },
  });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await auth?.stop();
  await app?.close();
});

/** Requests a link and reads it out of the email. */
async function emailedLink(email: string, returnTo: string): Promise<string> {
  const { href, link } = await requestMagicLink(auth.api, auth.mail, email, returnTo);
  expect(link.origin).toBe(`http://localhost:${authPort}`);
  return href;
}

/** Who the session cookie the browser now holds for auth belongs to. */
async function signedInEmail(context: BrowserContext): Promise<string | undefined> {
  const cookie = (await context.cookies(`http://localhost:${authPort}`)).find((c) => c.name === 'session_token');
  if (!cookie) return undefined;
  const me = await auth.api.get<{ email?: string }>('/me', { cookie: `session_token=${cookie.value}` });
  return me.body.email;
}
describe('magic links in real Chromium', () => {
  it('signs in by opening the link: the page posts itself under its CSP, and the browser lands on return_to', async () => {
    const link = await emailedLink('browser.link@example.com', `${appOrigin}/welcome`);
    const context = await browser.newContext();
    const page = await context.newPage();
    const blocked: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) blocked.push(message.text());
    });
    await page.goto(link);
    await page.waitForURL(`${appOrigin}/welcome`);
    expect(await page.textContent('h1')).toBe('app at /welcome');
    expect(blocked).toEqual([]);
    expect(await signedInEmail(context)).toBe('browser.link@example.com');
    await context.close();
  });

  it('works without JavaScript through the button, and a used link shows why it fails', async () => {
    const link = await emailedLink('browser.nojs@example.com', `${appOrigin}/home`);
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(link);
    expect(await signedInEmail(context)).toBeUndefined();
    await page.click('button[type=submit]');
    await page.waitForURL(`${appOrigin}/home`);
    expect(await signedInEmail(context)).toBe('browser.nojs@example.com');

    const second = await context.newPage();
    await second.goto(link);
    await second.click('button[type=submit]');
    await second.waitForLoadState();
    expect(await second.textContent('h1')).toBe('This sign-in link does not work');
    await context.close();
  });
});
