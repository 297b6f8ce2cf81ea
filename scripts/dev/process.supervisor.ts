import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Answers 2xx once the process serves; polled after every (re)start. */
  readyUrl: string;
}

/** Waits before restart n (1-based): 1 s, 2 s, 4 s, ... capped at 30 s. */
export function restartDelayMs(restart: number): number {
  return Math.min(30_000, 1_000 * 2 ** Math.max(0, restart - 1));
}

/** A process that ran this long before crashing counts as healthy: its next restart waits 1 s again. */
const STABLE_AFTER_MS = 60_000;

const red = (text: string) => `\x1b[31m${text}\x1b[0m`;
const green = (text: string) => `\x1b[32m${text}\x1b[0m`;

/**
 * `pnpm dev`'s children: each runs with its output in `<logDir>/<name>.log`; one that exits
 * without being asked to is restarted with backoff, and the restart is printed with the last
 * lines of its log. Only `stopAll` (Ctrl-C) ends them for good.
 */
export function createSupervisor(options: { cwd: string; logDir: string; echo: boolean }) {
  const running = new Map<string, ChildProcess>();
  const timers = new Set<NodeJS.Timeout>();
  let stopping = false;

  function logPath(name: string) {
    return join(options.logDir, `${name}.log`);
  }

  function launch(spec: ProcessSpec, restarts: number): ChildProcess {
    const log = createWriteStream(logPath(spec.name), { flags: 'a' });
    const child = spawn(spec.command, spec.args, { cwd: options.cwd, env: spec.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const startedAt = Date.now();
    child.stdout!.on('data', (chunk: Buffer) => {
      log.write(chunk);
      if (options.echo) process.stdout.write(chunk);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      log.write(chunk);
      process.stderr.write(`[${spec.name}] ${chunk.toString()}`);
    });
    child.on('error', (error) => log.write(`failed to start: ${error.message}\n`));
    child.on('exit', (code, signal) => {
      log.end();
      running.delete(spec.name);
      if (stopping) return;
      const next = Date.now() - startedAt >= STABLE_AFTER_MS ? 1 : restarts + 1;
      const delay = restartDelayMs(next);
      console.error(
        `${red('✗')} ${spec.name} exited (${signal ?? `code ${code}`}); restarting in ${delay / 1000} s (restart ${next}). Last lines of ${logPath(spec.name)}:\n${indent(tail(logPath(spec.name)))}`,
      );
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (stopping) return;
        launch(spec, next);
        void waitUntilReady(spec, Number.POSITIVE_INFINITY).then(
          () => console.log(`${green('✓')} ${spec.name} is back (restart ${next})`),
          () => undefined,
        );
      }, delay);
      timers.add(timer);
    });
    running.set(spec.name, child);
    return child;
  }

  async function waitUntilReady(spec: ProcessSpec, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (stopping) throw new Error('stopping');
      try {
        const response = await fetch(spec.readyUrl, { signal: AbortSignal.timeout(1_000) });
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`${spec.name} was not ready at ${spec.readyUrl} within ${timeoutMs / 1000} s (log: ${logPath(spec.name)})`);
  }

  return {
    /** Starts a supervised process; resolves once it is ready (after as many restarts as it takes). */
    async start(spec: ProcessSpec): Promise<void> {
      launch(spec, 0);
      await waitUntilReady(spec, Number.POSITIVE_INFINITY);
    },

    /** SIGTERM to every child (SIGKILL after 15 s); nothing is restarted any more. */
    async stopAll(): Promise<void> {
      stopping = true;
      for (const timer of timers) clearTimeout(timer);
      await Promise.all(
        [...running.values()].map(
          (child) =>
            new Promise<void>((resolveExit) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolveExit();
              const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
              child.once('exit', () => {
                clearTimeout(force);
                resolveExit();
              });
              child.kill('SIGTERM');
            }),
        ),
      );
    },

    pidOf: (name: string) => running.get(name)?.pid,
  };
}

export function tail(path: string, lines = 15): string {
  return existsSync(path) ? readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no log)';
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}
