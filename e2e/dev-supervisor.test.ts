import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY, SERVICES } from '@malet/service-registry';
import { freePort, waitFor } from '@malet/testing';
import { findPortHolder, isPortBusy } from '../scripts/dev/port.check';
import { interrupt, repoRoot, startDevSuite } from './suite-process';

/**
 * `pnpm dev` as a supervisor, on ports shifted by MALET_PORT_OFFSET so that it runs beside the
 * seed's e2e suite on the fixed ports.
 */
const portOf = (name: string) => [...SERVICES, GATEWAY].find((entry) => entry.name === name)!.port + offset;
let offset = 0;
let dataDir: string;
let postgresPort: number;
let suite: ReturnType<typeof startDevSuite>;

/**
 * An offset at which every port the suite binds is free. Kept within 100-899 so that no shifted
 * port lands on a fixed one of the seed's suite (1025 + 1983 would be auth's 3008).
 */
async function freeOffset(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const candidate = 100 + Math.floor(Math.random() * 800);
    const all = [...SERVICES, GATEWAY].map((entry) => entry.port + candidate).concat(1025 + candidate, 1080 + candidate);
    const busy = await Promise.all(all.map((port) => isPortBusy(port)));
    if (!busy.includes(true)) return candidate;
  }
  throw new Error('no free port offset');
}

/** Runs `pnpm dev` until it exits by itself; its exit code and everything it printed. */
function runUntilExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolveRun) => {
    const child = spawn('pnpm', ['dev'], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => resolveRun({ code, output }));
  });
}

beforeAll(async () => {
  offset = await freeOffset();
  dataDir = await mkdtemp(join(tmpdir(), 'malet-supervisor-'));
  await chmod(dataDir, 0o755);
  postgresPort = await freePort();
  suite = startDevSuite({ MALET_DATA_DIR: dataDir, MALET_POSTGRES_PORT: String(postgresPort), MALET_PORT_OFFSET: String(offset) });
  await suite.ready;
}, 240_000);

afterAll(async () => {
  if (suite) await interrupt(suite.child);
  await rm(dataDir, { recursive: true, force: true });
}, 120_000);

describe('pnpm dev supervises the suite', () => {
  it('restarts a crashed service with backoff, printing the restart and its last log lines; the others keep running', async () => {
    const users = findPortHolder(portOf('users'));
    const auth = findPortHolder(portOf('auth'));
    expect(users?.command).toContain('services/users/src/main.ts');
    process.kill(users!.pid, 'SIGKILL');

    await waitFor(() => suite.output().includes('users is back (restart 1)'), { timeoutMs: 60_000, what: 'the users restart' });
    const output = suite.output();
    expect(output).toContain('users exited (SIGKILL); restarting in 1 s (restart 1). Last lines of');
    // The tail of its log is printed: the service's own start-up line is in it.
    expect(output.slice(output.indexOf('users exited'))).toContain('"msg":"users listening"');
    expect(output).not.toContain('Stopping');

    const restarted = findPortHolder(portOf('users'));
    expect(restarted!.pid).not.toBe(users!.pid);
    expect(findPortHolder(portOf('auth'))!.pid).toBe(auth!.pid);
    const answer = await fetch(`http://127.0.0.1:${portOf('gateway')}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ user(username: "user") { username } }' }),
    });
    expect(await answer.json()).toEqual({ data: { user: { username: 'user' } } });
  }, 120_000);

  it('a second pnpm dev on the same data directory says the suite is already running and leaves it alone', async () => {
    const runnerPid = Number((await readFile(join(dataDir, 'dev.pid'), 'utf8')).trim());
    const second = await runUntilExit({ MALET_DATA_DIR: dataDir, MALET_POSTGRES_PORT: String(postgresPort), MALET_PORT_OFFSET: String(offset) });
    expect(second.code).not.toBe(0);
    expect(second.output).toContain(`The suite is already running from ${dataDir} (pnpm dev, pid ${runnerPid})`);
    expect(second.output).not.toMatch(/TypeError|Stopping/);
    expect((await readFile(join(dataDir, 'dev.pid'), 'utf8')).trim()).toBe(String(runnerPid));
    expect((await fetch(`http://127.0.0.1:${portOf('gateway')}/ready`)).status).toBe(200);
  });

  it('names each busy port, its holder and what to do, instead of a TypeError', async () => {
    const otherDir = await mkdtemp(join(tmpdir(), 'malet-supervisor-busy-'));
    const holder: Server = createServer();
    const heldPort = await freePort();
    await new Promise<void>((resolveListen) => holder.listen(heldPort, '127.0.0.1', resolveListen));
    try {
      const busy = await runUntilExit({ MALET_DATA_DIR: otherDir, MALET_POSTGRES_PORT: String(heldPort), MALET_PORT_OFFSET: String(offset) });
      expect(busy.code).not.toBe(0);
      expect(busy.output).toContain(`port ${heldPort} (PostgreSQL) is already in use, held by pid ${process.pid}`);
      expect(busy.output).toContain('set MALET_POSTGRES_PORT to a free port');
      const gatewayRunner = findPortHolder(portOf('gateway'))!;
      expect(busy.output).toContain(`port ${portOf('gateway')} (gateway) is already in use, held by pid ${gatewayRunner.pid}`);
      expect(busy.output).toContain('MALET_PORT_OFFSET');
      expect(busy.output).not.toContain('TypeError');
    } finally {
      holder.close();
      await rm(otherDir, { recursive: true, force: true });
    }
  });

  it('stops every process on Ctrl-C', async () => {
    expect(await interrupt(suite.child)).toBe(true);
    await suite.drained;
    expect(suite.output()).toContain('Stopped.');
    for (const name of ['auth', 'users', 'gateway']) expect(await isPortBusy(portOf(name)), name).toBe(false);
  });
});
