import { createServer } from 'node:net';

/**
 * A port that is free now, for a server the caller starts next. Picked at random from 20000-28999:
 * below Linux's ephemeral range (32768+), where a port from `listen(0)` lies and any outgoing
 * connection of any process may take it before the caller's server binds it (on a busy run a
 * test reached another process on "its" port), and below the dev suite's fixed ports (30000+,
 * shifted by up to 899). Random picks keep parallel test workers from choosing the same one.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * 9_000);
    if (await canListen(port)) return port;
  }
  throw new Error('no free port between 20000 and 29000 after 50 tries');
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
