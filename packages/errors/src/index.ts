import { randomUUID } from 'node:crypto';

/** The one error wire shape for REST (seed 002): `{status, code, details}`. */
export interface ErrorBody {
  status: number;
  code: string;
  details?: string;
  /** Present on 5xx: the id under which the failure was logged. */
  error_id?: string;
  /** Validation failures: the offending paths, never the values. */
  fields?: string[];
}

export interface AppErrorOptions {
  /** Whether `details` may be shown to the caller; defaults to true below 500. */
  expose?: boolean;
  fields?: string[];
  headers?: Record<string, string>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly expose: boolean;
  readonly fields: string[] | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options: AppErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.expose = options.expose ?? status < 500;
    this.fields = options.fields;
    this.headers = options.headers;
  }
}

export class ValidationError extends AppError {
  constructor(message: string, fields: string[] = [], code = 'request:invalid') {
    super(400, code, message, { fields });
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = 'Authentication required', code = 'auth:unauthenticated') {
    super(401, code, message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'Not allowed', code = 'auth:forbidden') {
    super(403, code, message);
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'Not found', code = 'resource:not_found') {
    super(404, code, message);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, code = 'resource:conflict') {
    super(409, code, message);
  }
}

export class RateLimitedError extends AppError {
  constructor(retryAfterSeconds: number, code = 'rate_limit:exceeded') {
    super(429, code, 'Too many requests, try again later', {
      headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
    });
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(message: string, code = 'service:unavailable', options: Omit<AppErrorOptions, 'expose'> = {}) {
    super(503, code, message, { ...options, expose: true });
  }
}

// Connection-level failures of PostgreSQL: SQLSTATE class 08, the server shutting down or
// starting (57P01-57P03), and node-postgres's own messages for a dropped or unreachable server.
const DATABASE_DOWN_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', '57P01', '57P02', '57P03']);
const DATABASE_DOWN_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Connection terminated due to connection timeout',
];

/**
 * Whether an error (or one of its causes, as Drizzle wraps driver errors) says the database
 * cannot be reached right now, as opposed to a query that is wrong.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth += 1) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (DATABASE_DOWN_CODES.has(code) || code.startsWith('08'))) return true;
    if (typeof message === 'string' && DATABASE_DOWN_MESSAGES.some((text) => message.includes(text))) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** What a request gets while the database is away (restarting, failing over): retry shortly. */
export class DatabaseUnavailableError extends ServiceUnavailableError {
  constructor(cause?: unknown) {
    super('The database is unavailable; retry shortly', 'service:database_unavailable', { headers: { 'Retry-After': '1' }, cause });
  }
}

/**
 * GraphQL clients expect the conventional codes in `extensions.code`; the REST code travels
 * beside it as `extensions.reason` so both views name the same failure.
 */
export function graphqlCodeForStatus(status: number): string {
  if (status === 400) return 'BAD_USER_INPUT';
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  if (status === 409) return 'CONFLICT';
  if (status === 429) return 'RATE_LIMITED';
  if (status === 503) return 'SERVICE_UNAVAILABLE';
  return status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST';
}

export interface ErrorReport {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** Set when the error was unexpected: the caller logs the cause under this id. */
  errorId?: string;
}

/**
 * The single place where any thrown value becomes a wire error. Anything that is not an
 * AppError is a 500 whose only detail is an error id; the stack stays in the logs.
 */
export function toErrorReport(error: unknown, options: { production: boolean }): ErrorReport {
  if (!(error instanceof AppError) && isDatabaseUnavailable(error)) error = new DatabaseUnavailableError(error);
  if (error instanceof AppError) {
    const body: ErrorBody = { status: error.status, code: error.code };
    if (error.expose || !options.production) body.details = error.message;
    if (error.fields?.length) body.fields = error.fields;
    const report: ErrorReport = { status: error.status, body, headers: error.headers ?? {} };
    if (error.status >= 500) {
      report.errorId = randomUUID();
      body.error_id = report.errorId;
    }
    return report;
  }
  const errorId = randomUUID();
  const body: ErrorBody = { status: 500, code: 'internal:error', error_id: errorId };
  if (!options.production) body.details = `Unexpected error; see logs for error id ${errorId}`;
  return { status: 500, body, headers: {}, errorId };
}
