import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, launchChromium, type Browser } from '@malet/testing';
import { addVirtualAuthenticator, recordPasskeyRequests, screenshotsOnFailure } from '../../services/auth/test/support/browser-pages';
import { startGatewayTestInstance, type GatewayTestInstance } from './gateway-test-instance';

let suite: GatewayTestInstance;
let browser: Browser;
/** The gateway as browsers reach it: the hosted pages and /graphql on one origin. */
let origin: string;
const shots = screenshotsOnFailure();
/** How long a page may take to show what a test waits for: a hang guard on a shared machine, not a time limit. */
const PAGE_SETTLES = { timeout: 30_000 };

beforeAll(async () => {
  const port = await freePort();
  origin = `http://localhost:${port}`;
  suite = await startGatewayTestInstance({
    gatewayPorts: [port],
    env: { auth: { PASSKEY_ORIGINS: origin, CSRF_TRUSTED_ORIGINS: origin } },
  });
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await suite?.stop();
});

describe('passkeys through the gateway (Chromium, CDP virtual authenticator)', () => {
  it('registers a passkey on the account page served by the gateway, signs in with it, and the session answers at /graphql', async () => {
    const context = await browser.newContext();
    const page = shots.watch(await context.newPage(), 'gateway passkey graphql');
    const requests = await recordPasskeyRequests(page);
    await addVirtualAuthenticator(page);
    const { token, user } = await suite.devToken('user@example.com');
    await context.addCookies([{ name: 'session_token', value: token, url: origin, httpOnly: true, sameSite: 'Lax' }]);

    await page.goto(`${origin}/auth/ui/account`);
    await page.fill('#passkey-name', 'Through the gateway');
    await page.click('#add-passkey');
    await expect.poll(() => page.textContent('#passkey-list'), PAGE_SETTLES).toContain('Through the gateway');

    // Signing out lands on the sign-in page, whose passkey autofill signs back in.
    await page.click('#sign-out');
    await expect.poll(() => requests.finishes.length, PAGE_SETTLES).toBe(1);
    await page.waitForURL(`${origin}/auth/ui/account`);
    const cookie = (await context.cookies(origin)).find((c) => c.name === 'session_token')!;
    expect(cookie.value).not.toBe(token);

    const answer = await page.evaluate<{ data?: unknown; errors?: unknown }>(`fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ me { id email passkeys { name } sessions { current methods } } }' }),
    }).then((response) => response.json())`);
    expect(answer.errors).toBeUndefined();
    expect(answer.data).toEqual({
      me: {
        id: user.id,
        email: 'user@example.com',
        passkeys: [{ name: 'Through the gateway' }],
        sessions: [{ current: true, methods: ['passkey', 'mfa', 'uv'] }],
      },
    });
    await context.close();
  });
});
