import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'node:net';
import { freePort, waitFor } from './net';

export interface TestRedis {
  url: string;
  stop: () => Promise<void>;
}

/**
 * A real Redis server for one test run: `TEST_REDIS_URL` when given, otherwise `redis-server`
 * from PATH (Debian's `redis-server` package) on a free loopback port, without persistence.
 */
export async function startTestRedis(options: { port?: number } = {}): Promise<TestRedis> {
  if (process.env.TEST_REDIS_URL && options.port === undefined) return { url: process.env.TEST_REDIS_URL, stop: async () => {} };
  // A given port restarts a server where clients expect it (fault tests kill and restart Redis).
  const port = options.port ?? (await freePort());
  const dir = await mkdtemp(join(tmpdir(), 'malet-test-redis-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error) =>
      reject(new Error('redis-server not found: install it (apt-get install -y redis-server)', { cause: error })),
    );
  });
  await Promise.race([
    failed,
    waitFor(
      () =>
        new Promise<boolean>((resolve) => {
          const socket = createConnection({ port, host: '127.0.0.1' }, () => {
            socket.end();
            resolve(true);
          });
          socket.once('error', () => resolve(false));
        }),
      { timeoutMs: 10_000, what: 'redis-server to listen' },
    ),
  ]);
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      // Stopping twice (a test that failed between its own stop and restart) must not wait forever.
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
