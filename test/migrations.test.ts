import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SERVICES } from '@malet/service-registry';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
// Every service owns a database (docs/architecture.md, section 2), so each has migrations to check.
const services = SERVICES.map((service) => service.name);

describe('committed Drizzle migrations', () => {
  it.each(services)('%s: regenerating from the schema its drizzle.config.ts names adds nothing (run `pnpm db:regenerate` when this fails)', async (service) => {
    const serviceDir = join(root, SERVICES.find((entry) => entry.name === service)!.workspace);
    const { default: config } = (await import(join(serviceDir, 'drizzle.config.ts'))) as { default: { schema: string } };
    const out = await mkdtemp(join(tmpdir(), `migrations-${service}-`));
    await cp(join(serviceDir, 'drizzle'), out, { recursive: true });
    const before = (await readdir(out)).sort();
    const { stdout, stderr } = await run(
      join(root, 'node_modules/.bin/drizzle-kit'),
      // drizzle-kit treats --out as relative to the working directory.
      ['generate', '--dialect', 'postgresql', '--schema', config.schema, '--out', relative(serviceDir, out)],
      { cwd: serviceDir },
    );
    expect(`${stdout}${stderr}`).toContain('No schema changes');
    expect((await readdir(out)).sort()).toEqual(before);
  }, 120_000);
});
