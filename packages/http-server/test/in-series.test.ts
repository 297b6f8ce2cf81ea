import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '@malet/errors';
import { createMetrics } from '@malet/metrics';
import { pino } from 'pino';
import { createHttpApp, finishHttpApp, inSeries, startHttpServer } from '../src/index';

/** Each step appends its name to `res.locals.steps`, so the answer shows which ran, in order. */
const mark = (name: string) =>
  function marked(_req: Request, res: Response, next: NextFunction) {
    ((res.locals.steps ??= []) as string[]).push(name);
    next();
  };
const answerSteps = (_req: Request, res: Response) => {
  res.json({ steps: res.locals.steps, url: _req.url, baseUrl: _req.baseUrl });
};

const logger = pino({ level: 'silent' });
const app = createHttpApp({ service: 'test', logger, metrics: createMetrics({ service: 'test', collectDefaults: false }), production: false, readiness: async () => {} });
app.use('/plain', inSeries(mark('a'), [mark('b'), mark('c')], answerSteps));
app.use(
  '/thrown',
  inSeries(mark('a'), () => {
    throw new AppError(409, 'test:thrown', 'thrown');
  }, mark('never')),
);
app.use('/rejected', inSeries(mark('a'), async () => Promise.reject(new AppError(422, 'test:rejected', 'rejected')), mark('never')));
app.use('/passed', inSeries((_req, _res, next) => next(new AppError(418, 'test:passed', 'passed')), mark('never')));
app.use('/left', inSeries(mark('a'), (_req, _res, next) => next('router'), mark('never')));
app.use('/left', mark('after'), answerSteps);
app.use('/through', inSeries(mark('a'), mark('b')), mark('after'), answerSteps);
app.use('/answered', inSeries((_req, res) => void res.status(201).json({ early: true }), mark('never')));
app.use('/async', inSeries(async (_req, res, next) => {
  await new Promise((resolve) => setImmediate(resolve));
  ((res.locals.steps ??= []) as string[]).push('awaited');
  next();
}, answerSteps));
finishHttpApp(app);
const server = await startHttpServer(app, { port: 0, host: '127.0.0.1', logger });
const base = server.url;
afterAll(() => server.close());

const get = async (path: string) => {
  const response = await fetch(`${base}${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('middleware in series, as one layer', () => {
  it('runs every step in order, arrays flattened, under the mount path like separate layers', async () => {
    expect(await get('/plain')).toEqual({ status: 200, body: { steps: ['a', 'b', 'c'], url: '/', baseUrl: '/plain' } });
  });

  it('goes on to the next layer once every step called next', async () => {
    expect((await get('/through')).body.steps).toEqual(['a', 'b', 'after']);
  });

  it('skips the rest and reaches the error handler when a step throws, rejects or passes an error', async () => {
    expect(await get('/thrown')).toMatchObject({ status: 409, body: { code: 'test:thrown' } });
    expect(await get('/rejected')).toMatchObject({ status: 422, body: { code: 'test:rejected' } });
    expect(await get('/passed')).toMatchObject({ status: 418, body: { code: 'test:passed' } });
  });

  it("leaves early on next('router'), which Express then reads as usual", async () => {
    // 'router' from a layer of the app's own router ends the app's routing: the 404 handler is
    // part of that router, so Node's final handler answers.
    const response = await fetch(`${base}/left`);
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain('after');
  });

  it('ends the chain at a step that answers without calling next', async () => {
    expect(await get('/answered')).toEqual({ status: 201, body: { early: true } });
  });

  it('waits for a step that calls next later', async () => {
    expect((await get('/async')).body.steps).toEqual(['awaited']);
  });
});

// Express itself, for the same chain as separate layers: the series must not change what a client sees.
describe('the same chain as separate Express layers', () => {
  it('answers the same', async () => {
    const separate = express();
    separate.use('/plain', mark('a'), mark('b'), mark('c'), answerSteps);
    const other = separate.listen(0, '127.0.0.1');
    await new Promise((resolve) => other.once('listening', resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(other.address() as AddressInfo).port}/plain`);
      expect({ status: response.status, body: await response.json() }).toEqual(await get('/plain'));
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });
});
