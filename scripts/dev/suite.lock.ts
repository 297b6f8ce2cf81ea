import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandLine } from './port.check';

export class SuiteAlreadyRunningError extends Error {
  constructor(readonly pid: number, dataDir: string) {
    super(
      `The suite is already running from ${dataDir} (pnpm dev, pid ${pid}). ` +
        `Use that one, stop it with Ctrl-C in its terminal (or kill ${pid}), or give this one another MALET_DATA_DIR.`,
    );
    this.name = 'SuiteAlreadyRunningError';
  }
}

function isRunningDevSuite(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A recycled pid belongs to some other program: only a dev runner counts.
  return commandLine(pid).includes('dev.ts');
}

/**
 * One `pnpm dev` per data directory: its pid is written to `<dataDir>/dev.pid`, and a second
 * runner finding a live one there stops before touching anything. A file left by a runner that
 * died is taken over.
 */
export function lockDataDir(dataDir: string): { release: () => void } {
  const path = join(dataDir, 'dev.pid');
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      return {
        release: () => {
          try {
            if (readFileSync(path, 'utf8').trim() === String(process.pid)) rmSync(path);
          } catch {
            // already gone
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isRunningDevSuite(holder)) {
        throw new SuiteAlreadyRunningError(holder, dataDir);
      }
      rmSync(path, { force: true });
    }
  }
  throw new Error(`could not lock ${path}`);
}
