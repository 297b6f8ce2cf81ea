import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { NextFunction, Request, Response } from 'express';
import { z } from '@malet/config';
import { AppError } from '@malet/errors';

/**
 * Apollo's persisted query manifest (`apollo-persisted-query-manifest`, version 1), as client
 * build tools write it: each operation's id is the SHA-256 of its body.
 */
const manifestSchema = z.object({
  format: z.literal('apollo-persisted-query-manifest'),
  version: z.literal(1),
  operations: z.array(z.object({ id: z.string().regex(/^[0-9a-f]{64}$/), name: z.string().optional(), type: z.string().optional(), body: z.string() })),
});

export class OperationNotAllowedError extends AppError {
  constructor() {
    super(400, 'graphql:operation_not_allowlisted', 'Only the operations in the persisted list are served here');
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Reads a manifest; throws naming what is wrong (an id that is not its body's hash, bad JSON). */
export function loadPersistedOperations(path: string): Map<string, string> {
  const manifest = manifestSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  const operations = new Map<string, string>();
  for (const operation of manifest.operations) {
    if (sha256(operation.body) !== operation.id) throw new Error(`persisted operation ${operation.name ?? operation.id}: id is not the SHA-256 of its body`);
    operations.set(operation.id, operation.body);
  }
  return operations;
}

/**
 * Persisted operations (GRAPHQL_PERSISTED_OPERATIONS names the manifest). A client may send an
 * operation by its hash alone (`extensions.persistedQuery.sha256Hash`, as Apollo clients do);
 * with GRAPHQL_PERSISTED_ONLY on (production's allow-list), anything not in the list is refused
 * before parsing, whether sent by hash or as text.
 */
export function createPersistedOperations(options: { operations: Map<string, string>; only: boolean }) {
  return function resolvePersistedOperation(req: Request, _res: Response, next: NextFunction): void {
    const body = req.method === 'POST' && typeof req.body === 'object' && req.body !== null && !Array.isArray(req.body) ? (req.body as Record<string, unknown>) : null;
    const text = body ? body.query : req.query.query;
    const extensions = (body?.extensions ?? {}) as { persistedQuery?: { sha256Hash?: unknown } };
    const hash = extensions.persistedQuery?.sha256Hash;
    if (typeof text === 'string') {
      if (options.only && !options.operations.has(sha256(text))) return next(new OperationNotAllowedError());
      return next();
    }
    if (body && typeof hash === 'string' && options.operations.has(hash)) {
      body.query = options.operations.get(hash);
      // Resolved here: Apollo's automatic persisted queries have nothing left to look up or store.
      delete extensions.persistedQuery;
      return next();
    }
    if (options.only) return next(new OperationNotAllowedError());
    next();
  };
}
