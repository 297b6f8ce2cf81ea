import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '@malet/metrics';
import { createHttpApp, finishHttpApp, startHttpServer } from '../src/index';

/** A logger whose lines are kept for the test to read. */
function capturedLogger(level: 'info' | 'warn') {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level }, sink), lines };
}

async function serve(level: 'info' | 'warn') {
  const { logger, lines } = capturedLogger(level);
  let children = 0;
  const child = logger.child.bind(logger);
  logger.child = ((...args: Parameters<typeof child>) => {
    children += 1;
    return child(...args);
  }) as typeof logger.child;
  const app = createHttpApp({ service: 'test', logger, metrics: createMetrics({ service: 'test', collectDefaults: false }), production: false, readiness: async () => {} });
  app.get('/noisy', (req, res) => {
    req.log.warn({ step: 'inside' }, 'handler speaks');
    res.json({ ok: true });
  });
  app.get('/quiet', (_req, res) => {
    res.json({ ok: true });
  });
  finishHttpApp(app);
  const server = await startHttpServer(app, { port: 0, host: '127.0.0.1', logger });
  return { server, lines, children: () => children };
}

describe('each request\'s logger', () => {
  it('binds the request id to what a handler logs, and to the finished-request line at info', async () => {
    const { server, lines } = await serve('info');
    try {
      const response = await fetch(`${server.url}/noisy`, { headers: { 'x-request-id': 'req-log-test-1' } });
      expect(response.headers.get('x-request-id')).toBe('req-log-test-1');
      await response.text();
      await expect.poll(() => lines.find((line) => line.msg === 'request finished')).toBeDefined();
      expect(lines.find((line) => line.msg === 'handler speaks')).toMatchObject({ requestId: 'req-log-test-1', step: 'inside' });
      expect(lines.find((line) => line.msg === 'request finished')).toMatchObject({ requestId: 'req-log-test-1', route: '/noisy', status: 200 });
    } finally {
      await server.close();
    }
  });

  it('makes a request\'s logger only when something is logged at an enabled level', async () => {
    const { server, lines, children } = await serve('warn');
    try {
      await (await fetch(`${server.url}/quiet`, { headers: { 'x-request-id': 'req-log-test-2' } })).text();
      await (await fetch(`${server.url}/noisy`, { headers: { 'x-request-id': 'req-log-test-3' } })).text();
    } finally {
      // Closing waits for both requests to have finished, finished-request hooks included.
      await server.close();
    }
    expect(children()).toBe(1);
    expect(lines).toEqual([expect.objectContaining({ msg: 'handler speaks', requestId: 'req-log-test-3' })]);
  });
});
