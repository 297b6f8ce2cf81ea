import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { GATEWAY, SERVICES, entryPoint } from '@malet/service-registry';
import { createTestDatabase, freePort, waitFor } from '@malet/testing';

const run = promisify(execFile);
/** Production refuses published and placeholder secrets: fresh ones, as an operator sets them. */
const productionSecrets = {
  NODE_ENV: 'production',
  INTERNAL_TOKEN_SECRET: randomBytes(32).toString('hex'),
  MFA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  OTP_HMAC_SECRET: randomBytes(32).toString('hex'),
};
const root = resolve(import.meta.dirname, '..');
// Every registered process; one without its entry point fails here instead of being skipped.
const services = [...SERVICES, GATEWAY].map((entry) => {
  entryPoint(root, entry);
  return entry.workspace;
});

/**
 * Production runs the tsup bundles (`node dist/main.js`), not tsx: each must build and start
 * from dist/, finding its migrations and schema files from there.
 */
describe('production bundles', () => {
  it.each(services)('%s builds and serves /ready from dist/main.js', async (service) => {
    const dir = join(root, service);
    await run(join(root, 'node_modules/.bin/tsup'), ['--config', join(root, 'tsup.config.ts'), 'src/main.ts', '--silent'], { cwd: dir });
    const database = await createTestDatabase(inject('postgresAdminUrl'), `build_${service.replace(/\W/g, '_')}`);
    const port = await freePort();
    const child = spawn(process.execPath, ['dist/main.js'], {
      cwd: dir,
      env: { ...process.env, ...productionSecrets, SMTP_URL: 'smtp://127.0.0.1:9', DATABASE_URL: database.url, PORT: String(port), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      const ready = await waitFor(async () => {
        if (child.exitCode !== null) throw new Error('exited');
        return (await fetch(`http://127.0.0.1:${port}/ready`)).ok;
      }, { timeoutMs: 30_000, what: `${service} /ready` }).catch(
        (error: unknown) => {
          throw new Error(`${service} did not start from dist: ${stderr}`, { cause: error });
        },
      );
      expect(ready).toBe(true);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((done) => child.once('exit', done));
        child.kill('SIGTERM');
        await exited;
      }
      await database.drop();
    }
  }, 120_000);
});
