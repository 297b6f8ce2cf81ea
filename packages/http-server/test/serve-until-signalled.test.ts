import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, startNodeProcess, waitForReady } from '@malet/testing';

describe('serveUntilSignalled (the tail of every main.ts)', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('listens, logs "<service> listening" with its URL, and on %s cleans up and exits 0', async (signal) => {
    const port = await freePort();
    const process = startNodeProcess({ name: 'fixture', entry: join(import.meta.dirname, 'fixtures/serve-fixture.ts'), cwd: import.meta.dirname, env: { PORT: String(port) } });
    try {
      await waitForReady(process, `http://127.0.0.1:${port}/ready`);
      const listening = process
        .output()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((line) => line.msg === 'fixture listening');
      expect(listening).toMatchObject({ url: `http://127.0.0.1:${port}`, flavour: 'plain' });
      expect(process.output()).not.toContain('cleaned up');
    } finally {
      expect(await process.stop(signal)).toBe(0);
    }
    expect(process.output()).toContain('cleaned up');
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });

  it('exits 1 naming the port when it is already taken, after cleaning up', async () => {
    const port = await freePort();
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    try {
      const process = startNodeProcess({ name: 'fixture', entry: join(import.meta.dirname, 'fixtures/serve-fixture.ts'), cwd: import.meta.dirname, env: { PORT: String(port) } });
      const code = await new Promise<number | null>((resolve) => process.child.once('close', resolve));
      expect(code).toBe(1);
      expect(process.output()).toContain(`fixture cannot listen: port ${port} on 127.0.0.1 is already in use`);
      expect(process.output()).toContain('cleaned up');
    } finally {
      holder.close();
    }
  });
});
