import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { afterEach, expect, onTestFailed } from 'vitest';
import type { BrowserContext } from '@malet/testing';

type Page = Awaited<ReturnType<BrowserContext['newPage']>>;

/** Where failing browser tests leave screenshots of their pages (git-ignored). */
export const SCREENSHOT_DIR = resolve(import.meta.dirname, '../../test-results/browser');

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * The pages a test opened, photographed when the test fails: `test-results/browser/<test>-<n>.png`
 * next to the test output. Register each page with `watch`; the list empties after every test.
 */
export function screenshotsOnFailure() {
  let pages: Page[] = [];
  afterEach(() => {
    pages = [];
  });
  return {
    watch<P extends Page>(page: P, testName: string): P {
      if (pages.length === 0) {
        const current = pages;
        onTestFailed(async () => {
          mkdirSync(SCREENSHOT_DIR, { recursive: true });
          const slug = testName.replace(/[^a-z0-9]+/gi, '-').slice(0, 80);
          for (const [index, open] of current.entries()) {
            if (!open.isClosed()) await open.screenshot({ path: join(SCREENSHOT_DIR, `${slug}-${index + 1}.png`), fullPage: true }).catch(() => undefined);
          }
        });
      }
      pages.push(page);
      return page;
    },
  };
}

/** Collects what the browser says about a page: CSP violations and uncaught script errors. */
export function listenForPageProblems(page: Page) {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  return problems;
}

/**
 * A CDP virtual authenticator (a platform authenticator with user verification, holding
 * discoverable credentials) attached to the page's browser context: what Chromium's WebAuthn
 * talks to instead of a real device.
 */
export async function addVirtualAuthenticator(page: Page, options: { isUserVerified?: boolean } = {}) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: options.isUserVerified ?? true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    cdp,
    authenticatorId,
    credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials,
    remove: () => cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId }),
  };
}

/** Runs axe-core (from npm, injected through DevTools, so the page's CSP stays as it is) and expects no violation. */
export async function expectNoAxeViolations(page: Page, label: string) {
  if (!(await page.evaluate<boolean>('typeof window.axe !== "undefined"'))) await page.evaluate(axeSource);
  const violations = await page.evaluate<{ id: string; impact: string; targets: string[] }[]>(`axe.run(document).then((result) =>
    result.violations.map((violation) => ({ id: violation.id, impact: violation.impact, targets: violation.nodes.map((node) => node.target.join(' ')) })))`);
  expect(violations, `axe-core on ${label}`).toEqual([]);
}

/** The id of the focused element ('' for the body). */
export const focusedId = (page: Page) => page.evaluate<string>('document.activeElement?.id ?? ""');

/** A readable name of the focused element (its id, else its tag and text) and its outline style. */
const describeFocused = (page: Page) =>
  page.evaluate<{ name: string; outline: string }>(`(() => {
    const element = document.activeElement;
    if (!element || element === document.body) return { name: 'body', outline: 'none' };
    return { name: element.id || element.tagName.toLowerCase() + ':' + (element.textContent ?? '').trim(), outline: getComputedStyle(element).outlineStyle };
  })()`);

/** The page's visible controls, named as describeFocused names them. */
const visibleControls = (page: Page) =>
  page.evaluate<string[]>(`[...document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])')]
    .filter((element) => !element.disabled && element.getClientRects().length > 0 && getComputedStyle(element).visibility !== 'hidden')
    .map((element) => element.id || element.tagName.toLowerCase() + ':' + (element.textContent ?? '').trim())`);

/**
 * Every visible control of the page is reached by pressing Tab (twice round the page, whatever
 * had the focus), and each shows a focus outline when it is.
 */
export async function expectKeyboardReachesEveryControl(page: Page, label: string) {
  const controls = await visibleControls(page);
  expect(controls.length, `${label} has controls`).toBeGreaterThan(0);
  const reached = new Map<string, string>();
  for (let press = 0; press < controls.length * 2 + 2; press += 1) {
    await page.keyboard.press('Tab');
    const focused = await describeFocused(page);
    if (focused.name !== 'body') reached.set(focused.name, focused.outline);
  }
  expect([...reached.keys()].sort(), `${label}: controls reached with Tab`).toEqual(expect.arrayContaining(controls.sort()));
  for (const control of controls) expect(reached.get(control), `${label}: focus outline of ${control}`).not.toBe('none');
}

/** Presses Tab until the element with `id` has the focus (a keyboard user's way to a control). */
export async function tabTo(page: Page, id: string, maxPresses = 40) {
  for (let press = 0; press < maxPresses; press += 1) {
    if ((await focusedId(page)) === id) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`#${id} was not reached with the Tab key`);
}

/** Nothing scrolls sideways: the page fits the viewport's width. */
export async function expectFitsViewport(page: Page, label: string) {
  const { scrollWidth, innerWidth } = await page.evaluate<{ scrollWidth: number; innerWidth: number }>(
    '({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })',
  );
  expect(scrollWidth, `${label} fits ${innerWidth} px`).toBeLessThanOrEqual(innerWidth);
}

/**
 * The passkey requests a page makes: each login/start answer (its mediation and challenge, read
 * by routing the request through the test) and the challenge each login/finish answered, so a
 * test can tell autofill from the button.
 */
export async function recordPasskeyRequests(page: Page) {
  const starts: { mediation: string; challenge: string }[] = [];
  const finishes: string[] = [];
  await page.route('**/auth/passkey/login/start', async (route) => {
    const response = await route.fetch();
    const body = (await response.json()) as { mediation: string; publicKey: { challenge: string } };
    starts.push({ mediation: body.mediation, challenge: body.publicKey.challenge });
    await route.fulfill({ response });
  });
  page.on('request', (request) => {
    if (!request.url().endsWith('/auth/passkey/login/finish')) return;
    const body = JSON.parse(request.postData() ?? '{}') as { response?: { clientDataJSON?: string } };
    const clientData = JSON.parse(Buffer.from(body.response?.clientDataJSON ?? '', 'base64url').toString('utf8') || '{}') as { challenge?: string };
    finishes.push(clientData.challenge ?? '');
  });
  return {
    starts,
    finishes,
    /** The mediation of the start whose challenge the last finish answered. */
    lastFinishMediation: () => starts.find((start) => start.challenge === finishes.at(-1))?.mediation,
  };
}

/**
 * A web app for return_to tests: a page that only says where it is (`<h1>app at /path</h1>`),
 * reached by browsers at `origin` (http://localhost:PORT).
 */
export async function startLandingApp() {
  const server = createServer((req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(`<h1>app at ${req.url}</h1>`));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://localhost:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
