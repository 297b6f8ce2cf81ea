/**
 * Processes for the federation bench: started pinned to cores with `taskset`, and measured from
 * /proc (Linux): CPU time of a process and its descendants, peak resident memory, and how idle
 * a core was over an interval.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

export interface PinnedProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  output: () => string;
  /** Resolves with the first output line matching `pattern`; rejects if the process exits first. */
  waitForLine: (pattern: RegExp, timeoutMs?: number) => Promise<string>;
  stop: () => Promise<void>;
}

/** Starts `command args` on `cores` (e.g. "0"); output is kept for failure messages. */
export function startPinned(options: { name: string; cores: string; command: string; args: string[]; cwd: string; env: Record<string, string | undefined> }): PinnedProcess {
  const child = spawn('taskset', ['-c', options.cores, options.command, ...options.args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      lines.push(line);
      for (const waiter of waiters.filter((candidate) => candidate.pattern.test(line))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const output = () => lines.join('\n');
  return {
    name: options.name,
    child,
    pid: child.pid!,
    output,
    waitForLine: (pattern, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const seen = lines.find((line) => pattern.test(line));
        if (seen) return resolve(seen);
        const timer = setTimeout(() => reject(new Error(`${options.name}: no line matching ${pattern} within ${timeoutMs} ms\n${output()}`)), timeoutMs);
        const onExit = () => reject(new Error(`${options.name} exited before ${pattern}\n${output()}`));
        child.once('exit', onExit);
        waiters.push({
          pattern,
          resolve: (line) => {
            clearTimeout(timer);
            child.off('exit', onExit);
            resolve(line);
          },
        });
      }),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** A TypeScript entry point of the repository (`node --import tsx`), pinned to `cores`. */
export function startEntryPinned(options: {
  name: string;
  cores: string;
  entry: string;
  cwd: string;
  env: Record<string, string | undefined>;
  nodeFlags?: readonly string[];
  entryArgs?: string[];
}): PinnedProcess {
  return startPinned({ ...options, command: process.execPath, args: [...(options.nodeFlags ?? []), '--import', 'tsx', options.entry, ...(options.entryArgs ?? [])] });
}

/** Waits until `url` answers 2xx; fails with the process's output if it exits or never does. */
export async function waitForUrl(url: string, owner: PinnedProcess, timeoutMs = 60_000): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (owner.child.exitCode !== null) break;
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  }
  throw new Error(`${owner.name} did not become ready at ${url}\n${owner.output()}`);
}

/** Pins this process (every thread) to `cores`; returns a function that restores the old mask. */
export function pinSelf(cores: string): () => void {
  const before = execFileSync('taskset', ['-p', String(process.pid)]).toString().trim().split(/\s+/).pop()!;
  execFileSync('taskset', ['-a', '-p', '-c', cores, String(process.pid)]);
  return () => void execFileSync('taskset', ['-a', '-p', before, String(process.pid)]);
}

function statFields(pid: number | string): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; everything after its closing parenthesis is fixed.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** `pid` and every process descended from it (a gateway that forks workers counts them all). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (!fields) continue;
    const parent = Number(fields[1]);
    children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const tree = [pid];
  for (let index = 0; index < tree.length; index += 1) tree.push(...(children.get(tree[index]!) ?? []));
  return tree;
}

/**
 * User + system CPU seconds consumed so far by one process or thread: `pid` is anything under
 * /proc with a stat file (`1234`, `self/task/1235`); 0 once it is gone or where /proc is absent.
 */
export function ownCpuSeconds(pid: number | string): number {
  const fields = statFields(pid);
  // After the name: state(0) ppid(1) ... utime(11) stime(12).
  return fields ? (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS : 0;
}

/** User + system CPU seconds consumed so far by `pid` and its descendants. */
export function cpuSeconds(pid: number): number {
  return processTree(pid).reduce((sum, member) => sum + ownCpuSeconds(member), 0);
}

/** Peak resident memory (VmHWM) of `pid` and its descendants, in MiB. */
export function peakMemoryMb(pid: number): number {
  let kb = 0;
  for (const member of processTree(pid)) {
    try {
      kb += Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${member}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return kb / 1024;
}

/** Idle and total jiffies of one core so far (/proc/stat); two readings give its idle share. */
export function coreTimes(core: number): { idle: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n').find((candidate) => candidate.startsWith(`cpu${core} `))!;
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  return { idle: values[3]! + values[4]!, total: values.slice(0, 8).reduce((sum, value) => sum + value, 0) };
}

/** The 1-minute load average, as `uptime` shows it. */
export function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}
