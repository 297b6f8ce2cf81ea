import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Logger } from '@malet/logging';
import { markShuttingDown } from './app';

export interface RunningServer {
  server: Server;
  port: number;
  url: string;
  /** Stops accepting, lets in-flight requests finish (up to the grace period), then cleans up. */
  close: () => Promise<void>;
}

export async function startHttpServer(
  app: Express,
  options: { port: number; host: string; logger: Logger; graceMs?: number; onClose?: () => Promise<void> },
): Promise<RunningServer> {
  const server = createServer(app);
  // Longer than typical load balancer idle timeouts, so they close first.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      markShuttingDown(app);
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive sockets become idle as their last response ends; close them as they do.
      server.closeIdleConnections();
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      const force = setTimeout(() => {
        options.logger.warn('grace period over; closing remaining connections');
        server.closeAllConnections();
      }, options.graceMs ?? 10_000);
      force.unref();
      await drained;
      clearInterval(sweep);
      clearTimeout(force);
      await options.onClose?.();
    })();
    return closing;
  };
  return { server, port, url, close };
}

/** SIGTERM/SIGINT drain the server once; a second signal exits at once. */
export function closeOnSignals(close: () => Promise<void>, logger: Logger): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(1);
    signalled = true;
    logger.info({ signal }, 'draining and shutting down');
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/**
 * The tail of every process's `main.ts`: listen on the configured address, drain and clean up
 * on SIGTERM/SIGINT, and log one `<service> listening` line with the URL (and `details`).
 */
export async function serveUntilSignalled(
  app: Express,
  options: {
    service: string;
    http: { port: number; host: string; shutdownGraceMs: number };
    logger: Logger;
    onClose?: () => Promise<void>;
    details?: Record<string, unknown>;
  },
): Promise<RunningServer> {
  let server: RunningServer;
  try {
    server = await startHttpServer(app, {
      port: options.http.port,
      host: options.http.host,
      logger: options.logger,
      graceMs: options.http.shutdownGraceMs,
      ...(options.onClose ? { onClose: options.onClose } : {}),
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    // The one start-up failure people hit daily (a second copy running): say which port and why.
    options.logger.fatal(
      { port: options.http.port, host: options.http.host },
      `${options.service} cannot listen: port ${options.http.port} on ${options.http.host} is already in use (another copy running?); stop that process or set PORT`,
    );
    await options.onClose?.();
    process.exit(1);
  }
  closeOnSignals(server.close, options.logger);
  options.logger.info({ url: server.url, ...options.details }, `${options.service} listening`);
  return server;
}
