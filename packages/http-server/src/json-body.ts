import type { IncomingHttpHeaders } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { AppError } from '@malet/errors';

/**
 * JSON and form bodies with a size limit; oversize and malformed bodies become 4xx errors.
 *
 * Nearly every body is the plain case: `application/json` in UTF-8, uncompressed, of a declared
 * length within the limit. That case is read here: body-parser's general path (type and charset
 * parsing, raw-body, iconv, debug) was 5% of the gateway's CPU on a small query. Everything else
 * (compressed, chunked, another charset, forms, over the limit) goes to body-parser as before.
 * Both give the same `req.body` and the same errors; the tests compare them request by request.
 */
export function jsonBody(limit = '100kb') {
  const maxBytes = parseSize(limit);
  const json = express.json({ limit, strict: true });
  const form = express.urlencoded({ extended: false, limit, parameterLimit: 100 });
  return function readBody(req: Request, res: Response, next: NextFunction) {
    const length = plainJsonLength(req.headers);
    if (length !== undefined && length <= maxBytes && !req.readableEnded) {
      readPlainJson(req, next);
      return;
    }
    json(req, res, (error?: unknown) => (error ? next(error) : form(req, res, next)));
  };
}

// Spellings of a UTF-8 JSON type (compared lower-cased); any other goes to body-parser.
const PLAIN_JSON_TYPES = new Set(['application/json', 'application/json; charset=utf-8', 'application/json;charset=utf-8']);

/** Whether a content type is UTF-8 JSON in one of the spellings clients send (no other parameters). */
export function isPlainJsonType(contentType: string | undefined): boolean {
  return contentType !== undefined && PLAIN_JSON_TYPES.has(contentType.toLowerCase());
}

/** The declared length of a body this module reads itself, or undefined for body-parser's. */
export function plainJsonLength(headers: IncomingHttpHeaders): number | undefined {
  if (headers['content-encoding'] !== undefined || headers['transfer-encoding'] !== undefined) return undefined;
  if (!isPlainJsonType(headers['content-type'])) return undefined;
  const declared = headers['content-length'];
  return declared !== undefined && /^\d{1,15}$/.test(declared) ? Number(declared) : undefined;
}

function readPlainJson(req: Request, next: NextFunction): void {
  const chunks: Buffer[] = [];
  let settled = false;
  const settle = (error?: AppError) => {
    if (settled) return;
    settled = true;
    if (error) next(error);
    else next();
  };
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    try {
      req.body = parseStrictJson(Buffer.concat(chunks).toString('utf8'));
    } catch {
      settle(new AppError(400, 'request:invalid_json', 'Body is not valid JSON'));
      return;
    }
    settle();
  });
  // The client went away mid-body: body-parser's "request aborted", a 400 nobody will read.
  const aborted = () => settle(new AppError(400, 'request:bad_request', 'Bad request'));
  req.on('error', aborted);
  req.on('close', () => {
    if (!req.readableEnded) aborted();
  });
}

/** body-parser's strict JSON: a leading BOM dropped, an empty body is `{}`, only an object or array at the top. */
function parseStrictJson(text: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.length === 0) return {};
  const first = /[^ \t\n\r]/.exec(body)?.[0];
  if (first !== '{' && first !== '[') throw new SyntaxError('not an object or array');
  return JSON.parse(body) as unknown;
}

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** A size as body-parser reads it ("256kb", "1mb", "500"): binary units. */
function parseSize(limit: string): number {
  const match = /^(\d+)\s*(b|kb|mb|gb)?$/i.exec(limit.trim());
  if (!match) throw new TypeError(`body limit "${limit}" is not a size such as 256kb`);
  return Number(match[1]) * UNITS[(match[2] ?? 'b').toLowerCase()]!;
}
