import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export type { Browser, BrowserContext } from 'playwright-core';

/** Where Debian's `chromium` package (installed by `.ci/run`) puts the browser. */
const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];

/**
 * A real headless Chromium for browser flows (playwright-core drives the system browser; it
 * downloads nothing). Running as root needs `--no-sandbox`. Pages must be opened as
 * `http://localhost:PORT`: WebAuthn and secure-context rules treat `localhost` as trustworthy.
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = CANDIDATES.find((path): path is string => !!path && existsSync(path));
  if (!executablePath) throw new Error('Chromium not found: install the `chromium` package (apt) or set CHROMIUM_PATH');
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
}
