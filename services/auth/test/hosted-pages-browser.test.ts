import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { freePort, launchChromium, startOAuthProviderStandIn, type Browser, type BrowserContext, type OAuthProviderStandIn } from '@malet/testing';
import { authenticatorFrom, enrollTotp, issueDevToken, startAuth, wrongCodeFor, type AuthHarness } from './support';
import {
  addVirtualAuthenticator,
  expectFitsViewport,
  expectKeyboardReachesEveryControl,
  expectNoAxeViolations,
  focusedId,
  listenForPageProblems,
  recordPasskeyRequests,
  screenshotsOnFailure,
  startLandingApp,
  tabTo,
} from './support/browser-pages';

let auth: AuthHarness;
let browser: Browser;
let origin: string;
/** A web app on the return_to allow-list: a page that says where it is. */
let app: Awaited<ReturnType<typeof startLandingApp>>;
let appOrigin: string;
/** The independent OAuth/OIDC server playing the social providers this auth offers: Google and GitHub. */
let standIn: OAuthProviderStandIn;
const shots = screenshotsOnFailure();
/** How long a page may take to show what a test waits for: a hang guard on a shared machine, not a time limit. */
const PAGE_SETTLES = { timeout: 30_000 };

beforeAll(async () => {
  app = await startLandingApp();
  appOrigin = app.origin;
  standIn = await startOAuthProviderStandIn();
  // The browser sees auth at http://localhost:PORT (a secure context and the RP ID `localhost`).
  const port = await freePort();
  origin = `http://localhost:${port}`;
  auth = await startAuth({ port, env: { PUBLIC_URL: origin, RETURN_TO_ALLOWLIST: appOrigin, CSRF_TRUSTED_ORIGINS: origin, ...standIn.authEnv(['google', 'github']) } });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await auth?.stop();
  await app?.close();
  await standIn?.stop();
});

/** A fresh browser profile and a page in it, photographed if the test fails. */
async function openPage(testName: string, options: { phone?: boolean } = {}) {
  const context = await browser.newContext(options.phone ? { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true } : {});
  const page = shots.watch(await context.newPage(), testName);
  return { context, page, problems: listenForPageProblems(page) };
}

/** The email of whoever the browser's session cookie signs in, or undefined. */
async function signedInEmail(context: BrowserContext): Promise<string | undefined> {
  const cookie = (await context.cookies(origin)).find((c) => c.name === 'session_token');
  if (!cookie) return undefined;
  const me = await auth.api.get<{ email?: string }>('/me', { cookie: `session_token=${cookie.value}` });
  return me.body.email;
}

/** The `amr` of the browser's session. */
async function amrOfBrowserSession(context: BrowserContext): Promise<string[]> {
  const cookie = (await context.cookies(origin)).find((c) => c.name === 'session_token')!;
  return (await auth.api.get<{ amr: string[] }>('/auth/validate', { cookie: `session_token=${cookie.value}` })).body.amr;
}

/** Signs the browser in as an existing user with a dev token (a fresh sign-in). */
async function signInBrowser(context: BrowserContext, email: string) {
  await auth.identities.createWithEvent({ email, verified: true });
  const token = await issueDevToken(auth, email);
  await context.addCookies([{ name: 'session_token', value: token, url: origin, httpOnly: true, sameSite: 'Lax' }]);
  return token;
}

describe('passkeys in the hosted pages (Chromium, CDP virtual authenticator)', () => {
  it('registers a passkey from the account page, signs out, then signs in with it from the sign-in page and by autofill', async () => {
    const { context, page, problems } = await openPage('passkey register and sign in');
    const requests = await recordPasskeyRequests(page);
    const first = await addVirtualAuthenticator(page);
    await signInBrowser(context, 'browser.passkey@example.com');

    await page.goto(`${origin}/auth/ui/account`);
    await page.fill('#passkey-name', 'Virtual key');
    await page.click('#add-passkey');
    await expect.poll(() => page.textContent('#status'), PAGE_SETTLES).toBe('Passkey added.');
    expect(await page.textContent('#passkey-list')).toContain('Virtual key');
    const [credential] = await first.credentials();
    expect(credential).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });

    // The button. The authenticator is away while the sign-in page loads, so the browser offers
    // no autofill (the page starts none); it comes back, same credential, before the click.
    await first.remove();
    await page.click('#sign-out');
    await page.waitForURL(`${origin}/auth/ui/sign-in`);
    expect(await signedInEmail(context)).toBeUndefined();
    expect(await page.evaluate<boolean>('PublicKeyCredential.isConditionalMediationAvailable()')).toBe(false);
    const second = await addVirtualAuthenticator(page);
    await second.cdp.send('WebAuthn.addCredential', { authenticatorId: second.authenticatorId, credential: credential! });
    await page.click('#passkey-button');
    await page.waitForURL(`${origin}/auth/ui/account`);
    expect(requests.lastFinishMediation()).toBe('optional');
    expect(await signedInEmail(context)).toBe('browser.passkey@example.com');
    expect(await amrOfBrowserSession(context)).toEqual(['passkey', 'mfa', 'uv']);

    // Autofill: the sign-in page's conditional request, answered from the email field's suggestions.
    const finished = requests.finishes.length;
    await page.click('#sign-out');
    await expect.poll(() => requests.finishes.length, PAGE_SETTLES).toBe(finished + 1);
    await page.waitForURL(`${origin}/auth/ui/account`);
    expect(requests.lastFinishMediation()).toBe('conditional');
    expect(await signedInEmail(context)).toBe('browser.passkey@example.com');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('refuses a cloned authenticator whose signature counter goes backwards', async () => {
    const { context, page } = await openPage('cloned authenticator');
    const requests = await recordPasskeyRequests(page);
    const original = await addVirtualAuthenticator(page);
    await signInBrowser(context, 'browser.clone@example.com');
    await page.goto(`${origin}/auth/ui/account`);
    await page.click('#add-passkey');
    await expect.poll(() => page.textContent('#status'), PAGE_SETTLES).toBe('Passkey added.');
    // Signing out lands on the sign-in page, whose autofill signs straight back in: twice.
    for (let i = 1; i <= 2; i += 1) {
      await page.click('#sign-out');
      await expect.poll(() => requests.finishes.length, PAGE_SETTLES).toBe(i);
      await page.waitForURL(`${origin}/auth/ui/account`);
      await expect.poll(() => signedInEmail(context), PAGE_SETTLES).toBe('browser.clone@example.com');
    }
    const [credential] = await original.credentials();
    // One use to register, two to sign in.
    expect(credential!.signCount).toBe(3);

    // Another authenticator holding a copy of the same key, whose counter is behind.
    await original.remove();
    const clone = await addVirtualAuthenticator(page);
    await clone.cdp.send('WebAuthn.addCredential', { authenticatorId: clone.authenticatorId, credential: { ...credential!, signCount: 0 } });
    await page.click('#sign-out');
    await page.waitForURL(`${origin}/auth/ui/sign-in`);
    await expect.poll(() => page.textContent('#error'), PAGE_SETTLES).toBe('This passkey was refused because it may have been copied. Use another way to sign in.');
    expect(page.url()).toBe(`${origin}/auth/ui/sign-in`);
    expect(await signedInEmail(context)).toBeUndefined();
    const user = await auth.identities.findByEmail('browser.clone@example.com');
    expect(await auth.rows(sql`select details from audit_events where type = 'passkey.counter_regressed' and user_id = ${user!.id}`)).toEqual([
      { details: expect.objectContaining({ stored_counter: 3, presented_counter: 1 }) },
    ]);
    await context.close();
  });
});

describe('signing in through the pages', () => {
  it('signs in by email code with the keyboard alone; a wrong code is announced and marks the field', async () => {
    const email = 'browser.code@example.com';
    await auth.identities.createWithEvent({ email, verified: true });
    const { context, page } = await openPage('email code keyboard');
    await page.goto(`${origin}/auth/ui/sign-in`);
    await tabTo(page, 'email');
    await page.keyboard.type(email);
    await page.keyboard.press('Enter');
    await expect.poll(() => focusedId(page), PAGE_SETTLES).toBe('methods-heading');
    const before = await auth.mailCount();
    await tabTo(page, 'send-code');
    await page.keyboard.press('Enter');
    await expect.poll(() => focusedId(page), PAGE_SETTLES).toBe('code');
    const message = await auth.mail.waitForMail(email, (m) => auth.mail.messages.indexOf(m) >= before && /sign-in code/.test(m.subject));
    const code = /\b(\d{6})\b/.exec(message.text)![1]!;

    await page.keyboard.type(wrongCodeFor(code));
    await page.keyboard.press('Enter');
    await expect.poll(() => page.textContent('#error'), PAGE_SETTLES).toBe('That code is not right. Check the email and try again.');
    expect(await page.getAttribute('#error', 'role')).toBe('alert');
    expect(await page.getAttribute('#code', 'aria-invalid')).toBe('true');
    expect(await page.textContent('#code-error')).toBe('That code is not right. Check the email and try again.');
    expect(await focusedId(page)).toBe('code');

    await page.keyboard.press('Control+A');
    await page.keyboard.type(code);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${origin}/auth/ui/account`);
    expect(await signedInEmail(context)).toBe(email);
    await context.close();
  });

  it('signs in by magic link requested from the sign-in page, landing on the allow-listed return_to', async () => {
    const email = 'browser.magic@example.com';
    const { context, page } = await openPage('magic link');
    await page.goto(`${origin}/auth/ui/sign-in?return_to=${encodeURIComponent(`${appOrigin}/welcome`)}`);
    await page.fill('#email', email);
    await page.click('#identify-form button[type=submit]');
    const before = await auth.mailCount();
    await page.click('#send-link');
    await expect.poll(() => page.textContent('#status'), PAGE_SETTLES).toContain('We emailed a sign-in link');
    const message = await auth.mail.waitForMail(email, (m) => auth.mail.messages.indexOf(m) >= before && /sign-in link/.test(m.subject));
    const link = /(https?:\/\/\S+\/auth\/magic-link\/callback\?token=\S+)/.exec(message.text)![1]!;
    await page.goto(link);
    await page.waitForURL(`${appOrigin}/welcome`);
    expect(await signedInEmail(context)).toBe(email);
    await context.close();
  });

  it('ignores a return_to that is not on the allow-list', async () => {
    const email = 'browser.return@example.com';
    const { context, page } = await openPage('return_to refused');
    await signInBrowser(context, email);
    await context.clearCookies();
    await page.goto(`${origin}/auth/ui/sign-in?return_to=${encodeURIComponent('https://evil.example/steal')}`);
    expect(await page.evaluate<unknown>('JSON.parse(document.getElementById("page-data").textContent).returnTo')).toBeNull();
    expect(await page.getAttribute('a[href^="/auth/ui/sign-up"]', 'href')).toBe('/auth/ui/sign-up');
    await page.goto(`${origin}/auth/ui/sign-in?return_to=${encodeURIComponent(`${appOrigin}/next`)}`);
    expect(await page.getAttribute('a[href^="/auth/ui/sign-up"]', 'href')).toBe(`/auth/ui/sign-up?return_to=${encodeURIComponent(`${appOrigin}/next`)}`);
    await context.close();
  });

  it("finishes a TOTP user's password sign-in on the MFA page", async () => {
    const email = 'browser.totp@example.com';
    const { context, page } = await openPage('mfa totp');
    await page.goto(`${origin}/auth/ui/sign-up`);
    await page.fill('#email', email);
    await page.fill('#password', 'violet-harbour-kettle-93');
    await page.click('#sign-up-form button[type=submit]');
    await expect.poll(() => page.textContent('#done-message'), PAGE_SETTLES).toContain(email);
    const login = await auth.api.post<{ session_token: string }>('/auth/login', { email, password: 'violet-harbour-kettle-93' });
    const { app: totp } = await enrollTotp(auth.api, { authorization: `Bearer ${login.body.session_token}` }, auth.clock);

    await page.goto(`${origin}/auth/ui/sign-in`);
    await page.fill('#email', email);
    await page.click('#identify-form button[type=submit]');
    await page.fill('#password', 'violet-harbour-kettle-93');
    await page.click('#password-form button[type=submit]');
    await page.waitForURL(`${origin}/auth/ui/mfa`);
    expect(await signedInEmail(context)).toBeUndefined();
    expect(await page.isVisible('#totp-form')).toBe(true);
    expect(await page.isVisible('#backup-form')).toBe(true);
    expect(await page.isVisible('#sms-section')).toBe(false);
    expect(await focusedId(page)).toBe('totp-code');
    // The next period's code: the current one was spent confirming the enrolment.
    await page.keyboard.type(totp.code(1));
    await page.keyboard.press('Enter');
    await page.waitForURL(`${origin}/auth/ui/account`);
    expect(await signedInEmail(context)).toBe(email);
    await context.close();
  });
});

describe('the account page', () => {
  it('turns on an authenticator app from its QR code, shows the backup codes once (the device that never passed a second factor is signed out, and the list says so), and signs out another device', async () => {
    const email = 'browser.account@example.com';
    const { context, page } = await openPage('account page');
    await signInBrowser(context, email);
    const other = await issueDevToken(auth, email);
    await page.goto(`${origin}/auth/ui/account`);
    await expect.poll(() => page.locator('#session-list li').count(), PAGE_SETTLES).toBe(2);

    await page.click('#totp-start');
    await expect.poll(() => page.getAttribute('#totp-qr', 'src'), PAGE_SETTLES).toMatch(/^data:image\/png;base64,/);
    const secret = (await page.textContent('#totp-secret'))!;
    const app = authenticatorFrom(`otpauth://totp/Malet:${email}?secret=${secret}&issuer=Malet`, auth.clock);
    await page.fill('#totp-code', app.code());
    await page.click('#totp-confirm-form button[type=submit]');
    await expect.poll(() => page.locator('#backup-code-list li').count(), PAGE_SETTLES).toBe(10);
    expect(await page.textContent('#mfa-summary')).toBe('On: authenticator app, backup codes.');
    // Turning a factor on ended the other session, which never passed one (docs/architecture.md, section 4).
    await expect.poll(() => page.locator('#session-list li').count(), PAGE_SETTLES).toBe(1);
    expect((await auth.api.get('/me', { authorization: `Bearer ${other}` })).status).toBe(401);

    const later = await issueDevToken(auth, email);
    await page.reload();
    await expect.poll(() => page.locator('#session-list li').count(), PAGE_SETTLES).toBe(2);
    await page.click('#session-list button');
    await expect.poll(() => page.locator('#session-list li').count(), PAGE_SETTLES).toBe(1);
    expect((await auth.api.get('/me', { authorization: `Bearer ${later}` })).status).toBe(401);
    await context.close();
  });

  it('sends a visitor without a session to the sign-in page', async () => {
    const { context, page } = await openPage('account without session');
    await page.goto(`${origin}/auth/ui/account`);
    expect(page.url()).toBe(`${origin}/auth/ui/sign-in`);
    await context.close();
  });
});

describe('social sign-in in the hosted pages', () => {
  it('offers one button per configured provider, signs in through one, and lists and unlinks it on the account page', async () => {
    const { context, page } = await openPage('social sign-in and linked accounts');
    await page.goto(`${origin}/auth/ui/sign-in`);
    expect(await page.locator('.providers a').evaluateAll((links) => links.map((link) => [link.id, link.textContent]))).toEqual([
      ['provider-google', 'Continue with Google'],
      ['provider-github', 'Continue with GitHub'],
    ]);

    // The stand-in signs in its default user without a form and sends the browser back to auth's callback.
    await page.click('#provider-google');
    await expect.poll(() => signedInEmail(context), PAGE_SETTLES).toBe('user@example.com');

    await page.goto(`${origin}/auth/ui/account`);
    await expect.poll(() => page.locator('#linked-list li').count(), PAGE_SETTLES).toBe(1);
    expect(await page.textContent('#linked-list li strong')).toBe('Google');
    expect(await page.isHidden('#linked-none')).toBe(true);
    expect(await page.locator('#link-offers a').evaluateAll((links) => links.map((link) => link.getAttribute('href')))).toEqual(['/auth/oauth/github/link']);

    // The verified email stays a way in, so unlinking Google is allowed.
    await page.click('#linked-list button');
    await expect.poll(() => page.locator('#linked-list li').count(), PAGE_SETTLES).toBe(0);
    expect(await page.isVisible('#linked-none')).toBe(true);
    const cookie = (await context.cookies(origin)).find((c) => c.name === 'session_token')!;
    const connections = await auth.api.get<{ connections: unknown[] }>('/auth/oauth/connections', { cookie: `session_token=${cookie.value}` });
    expect(connections.body.connections).toEqual([]);
    await context.close();
  });
});

describe('every page', () => {
  /** Opens each page in the state a person meets it in, and hands it to `check`. */
  async function eachPage(testName: string, check: (page: Awaited<ReturnType<typeof openPage>>['page'], label: string) => Promise<void>, phone = false) {
    const { context, page, problems } = await openPage(testName, { phone });
    await page.goto(`${origin}/auth/ui/sign-in`);
    await check(page, 'sign-in');
    await page.fill('#email', 'someone@example.com');
    await page.click('#identify-form button[type=submit]');
    await check(page, 'sign-in, methods');
    await page.goto(`${origin}/auth/ui/sign-up`);
    await check(page, 'sign-up');
    await page.goto(`${origin}/auth/ui/mfa`);
    await page.evaluate(`sessionStorage.setItem('malet.mfa', ${JSON.stringify(JSON.stringify({ token: 'mfa_pending', methods: ['totp', 'sms', 'backup_code'] }))})`);
    await page.reload();
    await check(page, 'mfa');
    await signInBrowser(context, `${testName.replace(/\W+/g, '-')}@example.com`);
    await page.goto(`${origin}/auth/ui/account`);
    await expect.poll(() => page.locator('#session-list li').count(), PAGE_SETTLES).toBeGreaterThan(0);
    await check(page, 'account');
    expect(problems).toEqual([]);
    await context.close();
  }

  it('has no axe-core violations', async () => {
    await eachPage('axe', (page, label) => expectNoAxeViolations(page, label));
  });

  it('is usable with the keyboard alone: Tab reaches every control, and each shows where the focus is', async () => {
    await eachPage('keyboard', (page, label) => expectKeyboardReachesEveryControl(page, label));
  });

  it('fits a phone screen (360 px) without sideways scrolling, and passes axe-core there too', async () => {
    await eachPage('phone', async (page, label) => {
      await expectFitsViewport(page, label);
      await expectNoAxeViolations(page, `${label} (phone)`);
    }, true);
  });

  it('is served with a strict CSP, no inline script or style, and scripts and styles from auth itself', async () => {
    for (const path of ['/auth/ui/sign-in', '/auth/ui/sign-up', '/auth/ui/mfa']) {
      const answer = await auth.api.get(path);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-security-policy')).toBe(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
      );
      expect(answer.text).not.toMatch(/<script(?![^>]*\bsrc=)(?![^>]*type="application\/json")[^>]*>/);
      expect(answer.text).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    }
  });
});
