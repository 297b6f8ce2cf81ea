import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '..');

/**
 * `pnpm dev`, exactly as the README runs it, in its own process group so that stopping it is a
 * Ctrl-C to the whole group, as a terminal would send.
 */
export function startDevSuite(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  ready: Promise<void>;
  /** Resolves when every process writing to the output pipes has closed them. */
  drained: Promise<void>;
} {
  const child = spawn('pnpm', ['dev'], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const ready = new Promise<void>((resolveReady, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready. Press Ctrl-C to stop.')) resolveReady();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`pnpm dev exited early (${code}):\n${output}`)));
  });
  // The pipes close only after the last writer (pnpm, the runner, its children) has exited, so
  // waiting for both guarantees the final lines (such as "Stopped.") have been read.
  const drained = Promise.all(
    [child.stdout!, child.stderr!].map((stream) => new Promise<void>((resolveClose) => stream.once('close', () => resolveClose()))),
  ).then(() => undefined);
  return { child, output: () => output, ready, drained };
}

/** Whether any process of the group still runs. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Ctrl-C to the process group, as a terminal sends it; resolves once every process of the
 * group is gone (SIGKILL after `timeoutMs`), with whether they all left on their own.
 */
export async function interrupt(child: ChildProcess, timeoutMs = 60_000): Promise<boolean> {
  const pgid = child.pid!;
  if (!groupAlive(pgid)) return true;
  process.kill(-pgid, 'SIGINT');
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pgid)) {
    if (Date.now() > deadline) {
      process.kill(-pgid, 'SIGKILL');
      return false;
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  return true;
}
