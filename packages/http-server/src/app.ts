import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { AppError, NotFoundError, toErrorReport } from '@malet/errors';
import { REQUEST_ID_HEADER, readOrMintRequestId, type Logger } from '@malet/logging';
import type { Metrics } from '@malet/metrics';
import { errorRendererFor } from './error-renderers';
import { inSeries } from './in-series';
import { jsonBody } from './json-body';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- express types are augmented through this global namespace
  namespace Express {
    interface Request {
      id: string;
      log: Logger;
    }
  }
}

export interface HttpAppOptions {
  service: string;
  logger: Logger;
  metrics: Metrics;
  production: boolean;
  /** Throws (or rejects) when the process cannot serve traffic, e.g. its database is down. */
  readiness: () => Promise<void>;
  /** Parse JSON bodies for every route (the gateway opts out: it streams proxied bodies). */
  parseJson?: boolean;
  bodyLimit?: string;
  /** Serve `/metrics` openly (services, scraped inside the cluster); the gateway guards its own. */
  exposeMetrics?: boolean;
}

const SHUTTING_DOWN = 'malet:shuttingDown';

export function createHttpApp(options: HttpAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  // Client addresses come from X-Forwarded-For only when the hop is our own loopback proxy.
  app.set('trust proxy', 'loopback');
  app.locals[SHUTTING_DOWN] = false;

  giveEachRequestItsLogger(app, options.logger);
  // What every request goes through first, as one layer (inSeries: Express's per-layer work is a
  // visible part of a hot request).
  app.use(
    inSeries(
      assignRequestId,
      recordRequest(options.metrics, options.logger),
      closeConnectionsWhileDraining(app),
      helmet({
        // Swagger UI and the hosted pages need inline styles; scripts stay same-origin.
        contentSecurityPolicy: {
          directives: { 'style-src': ["'self'", "'unsafe-inline'"], 'img-src': ["'self'", 'data:'] },
        },
        hsts: options.production,
      }),
    ),
  );

  app.get('/health', function reportLiveness(_req, res) {
    res.json({ status: 'ok', service: options.service });
  });
  app.get('/ready', async function reportReadiness(req, res) {
    if (app.locals[SHUTTING_DOWN]) {
      res.status(503).json({ status: 503, code: 'service:shutting_down', details: 'Shutting down' });
      return;
    }
    try {
      await options.readiness();
      res.json({ status: 'ready', service: options.service });
    } catch (error) {
      req.log.warn({ err: error }, 'readiness check failed');
      res.status(503).json({ status: 503, code: 'service:not_ready', details: 'Dependencies unavailable' });
    }
  });
  if (options.exposeMetrics !== false) {
    app.get('/metrics', async function exposeMetrics(_req, res) {
      res.type(options.metrics.contentType).send(await options.metrics.render());
    });
  }

  if (options.parseJson !== false) app.use(jsonBody(options.bodyLimit));
  app.locals.errorOptions = { production: options.production };
  return app;
}

export function markShuttingDown(app: Express): void {
  app.locals[SHUTTING_DOWN] = true;
}

/** Whether the server is draining: long-lived answers (event streams) end so the drain can finish. */
export function isShuttingDown(app: Pick<Express, 'locals'>): boolean {
  return app.locals[SHUTTING_DOWN] === true;
}

/** Call after the service's own routes: unknown routes get a 404 and errors the one wire shape. */
export function finishHttpApp(app: Express): void {
  app.use(function routeNotFound(_req: Request, _res: Response, next: NextFunction) {
    next(new NotFoundError('No such route', 'request:route_not_found'));
  });
  app.use(function writeError(error: unknown, req: Request, res: Response, _next: NextFunction) {
    const report = toErrorReport(fromBodyParser(error), app.locals.errorOptions);
    if (report.errorId) req.log.error({ err: error, errorId: report.errorId }, 'unexpected error');
    if (res.headersSent) {
      req.socket.destroy();
      return;
    }
    const rendered = errorRendererFor(res)(report);
    res
      .status(rendered.status)
      .set({ ...report.headers, ...rendered.headers })
      .type(rendered.contentType ?? 'application/json')
      .send(JSON.stringify(rendered.body));
  });
}

/** body-parser reports problems with `type` and `status`; give them stable codes. */
function fromBodyParser(error: unknown): unknown {
  if (error instanceof AppError || typeof error !== 'object' || error === null) return error;
  const { type, status } = error as { type?: string; status?: number };
  if (type === 'entity.parse.failed') return new AppError(400, 'request:invalid_json', 'Body is not valid JSON');
  if (type === 'entity.too.large') return new AppError(413, 'request:too_large', 'Body is too large');
  if (type === 'charset.unsupported' || type === 'encoding.unsupported') {
    return new AppError(415, 'request:unsupported_encoding', 'Unsupported body encoding');
  }
  if (type === 'parameters.too.many') return new AppError(413, 'request:too_many_parameters', 'Too many parameters');
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new AppError(status, 'request:bad_request', 'Bad request');
  }
  return error;
}

function assignRequestId(req: Request, res: Response, next: NextFunction) {
  req.id = readOrMintRequestId(req.headers[REQUEST_ID_HEADER]);
  res.setHeader(REQUEST_ID_HEADER, req.id);
  next();
}

/**
 * `req.log`, the logger bound to the request id, made on first use: most requests log nothing at
 * the configured level, and a child logger per request was a measurable part of a hot request.
 */
function giveEachRequestItsLogger(app: Express, logger: Logger): void {
  const own = (req: Request, log: Logger) => Object.defineProperty(req, 'log', { value: log, writable: true, configurable: true, enumerable: true });
  Object.defineProperty(app.request, 'log', {
    configurable: true,
    get(this: Request) {
      const log = logger.child({ requestId: this.id });
      own(this, log);
      return log;
    },
    set(this: Request, log: Logger) {
      own(this, log);
    },
  });
}

function recordRequest(metrics: Metrics, logger: Logger) {
  return function recordRequestDurationAndLog(req: Request, res: Response, next: NextFunction) {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeTemplate(req, res);
      metrics.httpRequestDuration.observe(
        { method: req.method, route, status_code: String(res.statusCode) },
        seconds,
      );
      if (route === '/health' || route === '/ready' || route === '/metrics' || !logger.isLevelEnabled('info')) return;
      req.log.info(
        { method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 1000) },
        'request finished',
      );
    });
    next();
  };
}

/** Route templates only (never raw paths), so a crawler cannot create one series per URL. */
function routeTemplate(req: Request, res: Response): string {
  if (typeof res.locals.route === 'string') return res.locals.route;
  if (req.route?.path && typeof req.route.path === 'string') return `${req.baseUrl}${req.route.path}`;
  return 'unmatched';
}

function closeConnectionsWhileDraining(app: Express) {
  return function closeConnectionsWhileDraining(_req: Request, res: Response, next: NextFunction) {
    if (app.locals[SHUTTING_DOWN]) res.setHeader('Connection', 'close');
    next();
  };
}
