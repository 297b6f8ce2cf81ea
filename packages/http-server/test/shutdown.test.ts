import { describe, expect, it } from 'vitest';
import { createLogger } from '@malet/logging';
import { createMetrics } from '@malet/metrics';
import { createHttpApp, finishHttpApp, startHttpServer } from '../src/index';

describe('graceful shutdown', () => {
  it('lets in-flight requests finish, refuses new connections, then runs the clean-up', async () => {
    const logger = createLogger({ service: 'test', level: 'silent' });
    const app = createHttpApp({ service: 'test', logger, metrics: createMetrics({ service: 'test', collectDefaults: false }), production: true, readiness: async () => {} });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    app.get('/slow', async (_req, res) => {
      entered();
      await gate;
      res.json({ finished: true });
    });
    finishHttpApp(app);
    let cleanedUp = false;
    const server = await startHttpServer(app, { port: 0, host: '127.0.0.1', logger, onClose: async () => void (cleanedUp = true) });

    const inFlight = fetch(`${server.url}/slow`);
    await inside;
    const closing = server.close();
    const ready = await fetch(`${server.url}/ready`).catch((error: unknown) => error);
    // Either the listener is already closed (connection refused) or readiness reports draining.
    if (ready instanceof Response) expect(ready.status).toBe(503);
    else expect(ready).toBeInstanceOf(Error);
    expect(cleanedUp).toBe(false);

    release();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ finished: true });
    await closing;
    expect(cleanedUp).toBe(true);
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });
});
