import { randomUUID } from 'node:crypto';
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export const REQUEST_ID_HEADER = 'x-request-id';

export function createLogger(options: { service: string; level?: LevelWithSilent }): Logger {
  return pino({
    level: options.level ?? 'info',
    base: { service: options.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Credentials must never reach a log line, whatever a caller passes in.
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-internal-token"]',
        'res.headers["set-cookie"]',
        '*.password',
        '*.token',
        '*.session_token',
        '*.refresh_token',
        '*.code',
      ],
      censor: '[redacted]',
    },
  });
}

// A forwarded id is kept only when it is short and plain, so it cannot inject into log lines.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Keeps a well-formed incoming request id, otherwise mints a new one. */
export function readOrMintRequestId(incoming: string | string[] | undefined): string {
  const value = Array.isArray(incoming) ? incoming[0] : incoming;
  return value && SAFE_REQUEST_ID.test(value) ? value : randomUUID();
}
