import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');

/** Runs a tool from node_modules/.bin; resolves with its exit code and output. */
async function tool(name: string, args: string[]) {
  try {
    const { stdout, stderr } = await run(resolve(root, 'node_modules/.bin', name), args, { cwd: root, maxBuffer: 32 * 2 ** 20 });
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failure.code ?? 1, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` };
  }
}

describe('static checks over the whole repository', () => {
  it('type-checks with TypeScript strict', async () => {
    const result = await tool('tsc', ['-p', 'tsconfig.json', '--noEmit']);
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  }, 300_000);

  it('type-checks every workspace on its own, as its own `typecheck` script does', async () => {
    // The root check sees every file at once, which can hide a workspace's missing dependency.
    const result = await tool('turbo', ['run', 'typecheck', '--concurrency=2', '--output-logs=errors-only', '--cache=local:,remote:']);
    expect(result.code, result.output).toBe(0);
  }, 600_000);

  it('lints clean', async () => {
    const result = await tool('eslint', ['.', '--max-warnings', '0']);
    expect(result.output.trim()).toBe('');
    expect(result.code).toBe(0);
  }, 300_000);
});
