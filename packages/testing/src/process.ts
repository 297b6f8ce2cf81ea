import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from './net';

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  /** The last lines the process wrote, for failure messages. */
  output: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/**
 * Starts a TypeScript entry point as a real child process (node + tsx), keeps its recent output
 * for diagnostics, and stops it with SIGTERM (SIGKILL after a grace period).
 */
export function startNodeProcess(options: {
  name: string;
  entry: string;
  cwd: string;
  env: Record<string, string | undefined>;
  /** Node flags before the entry (the gateway's: gateway/src/node-flags.ts). */
  nodeFlags?: readonly string[];
}): ManagedProcess {
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), '--import', 'tsx', options.entry], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return {
    name: options.name,
    child,
    output: () => lines.join('\n'),
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', (code) => {
          clearTimeout(force);
          resolve(code);
        });
        child.kill(signal);
      }),
  };
}

/** Waits for `url` to answer 2xx; fails early, with the process output, if it exits. */
export async function waitForReady(process: ManagedProcess, url: string, timeoutMs = 120_000): Promise<void> {
  let exited = false;
  process.child.once('exit', () => (exited = true));
  try {
    await waitFor(
      async () => {
        if (exited) throw new Error('exited');
        const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
        return response.ok;
      },
      { timeoutMs, intervalMs: 100, what: `${process.name} at ${url}` },
    );
  } catch (error) {
    throw new Error(`${process.name} did not become ready (${exited ? 'it exited' : 'timeout'}):\n${process.output()}`, { cause: error });
  }
}
