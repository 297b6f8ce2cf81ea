import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Middleware run one after the other as one router layer. Express matches every layer's path and
 * rewrites `req.url` for each mounted one; on a hot route with a dozen steps that bookkeeping was a
 * visible share of the gateway's CPU, for a chain whose order never changes.
 *
 * Each step keeps Express's contract: `next()` goes on, `next(error)` (or a throw, or a rejected
 * promise) skips the remaining steps and leaves through the layer's own `next` with that error; any
 * other argument (`'route'`, `'router'`) also leaves, for Express to read. A step that answers
 * without calling `next` ends the chain.
 */
export function inSeries(...steps: (RequestHandler | RequestHandler[])[]): RequestHandler {
  const handlers = steps.flat();
  return function runInSeries(req: Request, res: Response, leave: NextFunction): void {
    let index = 0;
    const step: NextFunction = (signal?: unknown) => {
      if (signal !== undefined && signal !== null) return leave(signal);
      const handler = handlers[index++];
      if (!handler) return leave();
      try {
        const returned: unknown = handler(req, res, step);
        if (isThenable(returned)) returned.then(undefined, (error: unknown) => leave(error ?? new Error('Rejected promise')));
      } catch (error) {
        leave(error);
      }
    };
    step();
  };
}

const isThenable = (value: unknown): value is PromiseLike<unknown> => typeof (value as PromiseLike<unknown> | null)?.then === 'function';
