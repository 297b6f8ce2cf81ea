import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GATEWAY, MissingEntryPointError, SERVICES, SUBGRAPH_SERVICES, databaseName, entryPoint, subgraphSchemaPath } from '../src/index';

const root = resolve(import.meta.dirname, '../../..');

describe('the service registry', () => {
  it('lists every workspace under services/ and no folder that is not one', () => {
    const folders = readdirSync(join(root, 'services'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `services/${entry.name}`)
      .sort();
    expect(SERVICES.map((service) => service.workspace).sort()).toEqual(folders);
  });

  it('gives each process a distinct name, port and gateway variable', () => {
    const all = [...SERVICES, GATEWAY];
    expect(new Set(all.map((entry) => entry.name)).size).toBe(all.length);
    expect(new Set(all.map((entry) => entry.port)).size).toBe(all.length);
    expect(new Set(SERVICES.map((service) => service.urlEnv)).size).toBe(SERVICES.length);
    for (const service of SERVICES) expect(service.urlEnv).toBe(`${service.name.toUpperCase().replace(/-/g, '_')}_URL`);
  });

  it('finds the entry point of every listed process and the schema of every subgraph', () => {
    for (const entry of [...SERVICES, GATEWAY]) expect(entryPoint(root, entry)).toBe(join(root, entry.workspace, 'src/main.ts'));
    for (const service of SUBGRAPH_SERVICES) expect(existsSync(join(root, subgraphSchemaPath(service))), service.name).toBe(true);
    expect(databaseName({ name: 'content-feed' })).toBe('malet_content_feed');
  });

  it('refuses a listed process whose entry point is missing, naming it and the path', async () => {
    const fake = await mkdtemp(join(tmpdir(), 'registry-'));
    try {
      await mkdir(join(fake, 'services/ghost/src'), { recursive: true });
      const ghost = { name: 'ghost', workspace: 'services/ghost' };
      expect(() => entryPoint(fake, ghost)).toThrow(MissingEntryPointError);
      expect(() => entryPoint(fake, ghost)).toThrow('ghost: its entry point services/ghost/src/main.ts does not exist');
      // Just inside: the same folder with its main.ts is accepted.
      await writeFile(join(fake, 'services/ghost/src/main.ts'), '');
      expect(entryPoint(fake, ghost)).toBe(join(fake, 'services/ghost/src/main.ts'));
    } finally {
      await rm(fake, { recursive: true, force: true });
    }
  });
});
