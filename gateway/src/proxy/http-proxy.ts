import http, { type IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream';
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '@malet/errors';
import { INTERNAL_TOKEN_HEADER } from '@malet/internal-auth';
import { REQUEST_ID_HEADER } from '@malet/logging';
import type { ResponseCompression } from './response-compression';

// RFC 9110 section 7.6.1: connection-specific headers are not forwarded.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Headers that claim where a request came from. The gateway alone says that to the services it
 * proxies to: whatever a client sent under these names is dropped, and X-Forwarded-For is
 * rewritten to the one address the gateway determined (http/client-address.ts).
 */
const CLIENT_CLAIMED = new Set(['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'x-real-ip', 'x-client-ip']);

/**
 * Streams a request to a service and its answer back, untouched but for forwarding headers
 * and, where `compression` is given, the content coding (see response-compression.ts).
 * Bodies are never buffered, so large uploads and feed downloads cost no gateway memory; a
 * client that goes away mid-response closes the upstream response too, so the service stops
 * generating. A client can never smuggle an internal token through: that header is always dropped;
 * nor a forwarding header: X-Forwarded-For carries only the client address the gateway determined.
 */
export function createProxy(options: {
  name: string;
  target: string;
  /** Longest silence from the service (no byte sent) before the client gets a 504. */
  timeoutMs?: number;
  onResponse?: (req: Request, upstream: IncomingMessage) => void;
  compression?: ResponseCompression;
}) {
  const target = new URL(options.target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

  return function proxyRequest(req: Request, res: Response, next: NextFunction): void {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!HOP_BY_HOP.has(name) && !CLIENT_CLAIMED.has(name) && name !== INTERNAL_TOKEN_HEADER && name !== 'host') headers[name] = value;
    }
    headers['x-forwarded-for'] = req.clientAddress.address;
    headers['x-forwarded-host'] = req.headers.host ?? '';
    headers['x-forwarded-proto'] = req.protocol;
    headers[REQUEST_ID_HEADER] = req.id;
    headers.host = target.host;
    options.compression?.forwardRequestHeaders(req, res, headers);
    res.locals.route = `proxy:${options.name}`;

    const upstream = http.request({
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      method: req.method,
      path: req.originalUrl,
      headers,
      agent,
      timeout: options.timeoutMs ?? 30_000,
    });
    upstream.on('response', (answer) => {
      options.onResponse?.(req, answer);
      res.status(answer.statusCode ?? 502);
      for (const [name, value] of Object.entries(answer.headers)) {
        if (!HOP_BY_HOP.has(name) && value !== undefined) res.setHeader(name, value);
      }
      const encoder = options.compression?.encoderFor(req, res, answer) ?? null;
      const finishResponse = (error: NodeJS.ErrnoException | null) => {
        // pipeline has destroyed every stage; a client that hung up is routine, an upstream cut is not.
        if (error && error.code !== 'ERR_STREAM_PREMATURE_CLOSE') {
          req.log.warn({ err: error, upstream: options.name }, 'proxied response cut short');
        }
      };
      if (encoder) pipeline(answer, encoder, res, finishResponse);
      else pipeline(answer, res, finishResponse);
    });
    let timedOut = false;
    upstream.on('timeout', () => {
      timedOut = true;
      upstream.destroy(new Error('upstream timeout'));
    });
    upstream.on('error', (error) => {
      req.log.warn({ err: error, upstream: options.name }, 'proxy request failed');
      if (res.headersSent) {
        res.destroy();
        return;
      }
      next(
        timedOut
          ? new AppError(504, 'gateway:upstream_timeout', `The ${options.name} service did not answer in time`, { expose: true })
          : new AppError(502, 'gateway:upstream_unavailable', `The ${options.name} service is unavailable`, { expose: true }),
      );
    });
    req.pipe(upstream);
  };
}
