import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where handed-out ports are claimed, shared by every test process on this machine. */
const CLAIMS = join(tmpdir(), 'malet-test-ports');
/** A claim older than this is taken to belong to a finished run. */
const CLAIM_LIFETIME_MS = 2 * 60 * 60_000;

/**
 * A port that is free now and handed to no one else, for a server the caller starts next.
 *
 * Picked at random from 20000-28999: below Linux's ephemeral range (32768+), where a port from
 * `listen(0)` lies and any outgoing connection of any process may take it before the caller's
 * server binds it, and below the dev suite's fixed ports (30000+, shifted by up to 899). A suite
 * hands its services their ports before starting them, tens of seconds earlier on a busy
 * machine; so that a test file in another worker (or another run) cannot be handed the same
 * port meanwhile, each port is claimed with an exclusively created file (a busy full run sent
 * tests to another suite's process on "their" port).
 */
export async function freePort(): Promise<number> {
  mkdirSync(CLAIMS, { recursive: true });
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * 9_000);
    if (claim(port) && (await canListen(port))) return port;
  }
  throw new Error('no free port between 20000 and 29000 after 200 tries');
}

function claim(port: number): boolean {
  const file = join(CLAIMS, String(port));
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch {
    try {
      if (Date.now() - statSync(file).mtimeMs < CLAIM_LIFETIME_MS) return false;
      // A stale claim: renew it (the race with another renewer is as rare as the stale file).
      writeFileSync(file, String(process.pid));
      return true;
    } catch {
      return false;
    }
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Polls until `check` returns a truthy value, at most `timeoutMs`; the last error is rethrown. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
  throw new Error(`timed out waiting for ${options.what ?? 'condition'}`, { cause: lastError });
}
