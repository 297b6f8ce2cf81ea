import type { NextFunction, Request, Response } from 'express';
import { isPlainJsonType } from '@malet/http-server';
import type { GatewayMetrics } from '../admin/gateway-metrics';
import { ALREADY_EXECUTED, type MaybeExecuted, type ReadyOperation } from './compiled-executor';
import type { GatewayContext } from './gateway-server';
import { isJsonObject } from './json-object';

/**
 * Answers a /graphql request without Apollo Server's request pipeline when Apollo Server has
 * already parsed and validated the same operation text and the compiled executor ran it
 * (compiled-executor.ts `ReadyOperation`). The hot operations of a web or mobile app are a few
 * texts sent over and over; for them the pipeline (request parsing into a header map, the
 * document store's hash, plugin hooks, result formatting) repeats work whose outcome is known.
 *
 * Every step before Apollo Server still runs for these requests (rate limit, cross-site guard,
 * body limit, persisted operations, operation limits), and so does identity: the same context
 * function, memoised per request. Only the plainest requests qualify: a POST with a JSON body of
 * `query`, `operationName`, `variables` (and `extensions` other than persisted queries), whose
 * Accept header maps to a response type as Apollo Server negotiates it. Anything else, and the
 * first request of each text, goes through Apollo Server.
 *
 * A ready operation answers here only when its result is plain data. A result with errors or
 * extensions is handed to Apollo Server to format (the operation is not run twice: the executor
 * returns this result, `ALREADY_EXECUTED`), so error formatting and masking have one home.
 * `gateway/test/compiled-executor.test.ts` checks both paths answer byte for byte alike.
 */

const JSON_TYPE = 'application/json; charset=utf-8';
const GRAPHQL_RESPONSE_TYPE = 'application/graphql-response+json; charset=utf-8';

/** Accept headers clients send, and the type Apollo Server answers them with (negotiator's choice). */
const RESPONSE_TYPES = new Map<string, string>([
  ['', JSON_TYPE],
  ['*/*', JSON_TYPE],
  ['application/json', JSON_TYPE],
  ['application/json, text/plain, */*', JSON_TYPE],
  ['application/graphql-response+json', GRAPHQL_RESPONSE_TYPE],
  ['application/graphql-response+json, application/json;q=0.9', GRAPHQL_RESPONSE_TYPE],
  ['application/graphql-response+json,application/json;q=0.9', GRAPHQL_RESPONSE_TYPE],
]);

interface PlainRequest {
  query: string;
  operationName: string | undefined;
  variables: Record<string, unknown> | undefined;
}

export function answerReadyOperations(options: {
  ready: (query: string, operationName: string | undefined) => ReadyOperation | undefined;
  /** The request's GatewayContext, memoised on it: Apollo Server's context function reads the same one. */
  contextFor: (req: Request, res: Response) => Promise<GatewayContext>;
  metrics: GatewayMetrics;
}) {
  return async function answerReadyOperation(req: Request, res: Response, next: NextFunction): Promise<void> {
    const responseType = req.method === 'POST' && isPlainJsonType(req.headers['content-type']) ? RESPONSE_TYPES.get(req.headers.accept ?? '') : undefined;
    const request = responseType ? plainRequest(req.body) : undefined;
    const operation = request && options.ready(request.query, request.operationName);
    if (!operation) return next();
    const started = process.hrtime.bigint();
    let result;
    try {
      const context = await options.contextFor(req, res);
      result = operation.run(context, request.variables);
      const { data, errors, extensions } = await result;
      if (errors === undefined && extensions === undefined) {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        options.metrics.graphqlOperationDuration.observe({ operation_type: operation.type, operation_name: options.metrics.operationNames(operation.name) }, seconds);
        options.metrics.graphqlDirectAnswers.inc({ outcome: 'answered' });
        // Apollo Server's own serialisation (the JSON text and a newline) and the headers its
        // res.send would add, without send's re-parsing of the content type it was given.
        const body = `${JSON.stringify({ data })}\n`;
        res.statusCode = 200;
        res.setHeader('content-type', responseType!);
        res.setHeader('content-length', Buffer.byteLength(body));
        res.end(body);
        return;
      }
    } catch {
      // A refused identity (or anything unexpected) is Apollo Server's to report, from the same memoised context.
    }
    options.metrics.graphqlDirectAnswers.inc({ outcome: 'handed_to_apollo' });
    if (result) ((await options.contextFor(req, res)) as GatewayContext & MaybeExecuted)[ALREADY_EXECUTED] = result;
    next();
  };
}

/** The body as Apollo Server reads it, if it is the plain kind this path answers (see above). */
function plainRequest(body: unknown): PlainRequest | undefined {
  if (!isJsonObject(body)) return undefined;
  const { query, operationName, variables, extensions } = body;
  if (typeof query !== 'string') return undefined;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return undefined;
  if (variables !== undefined && variables !== null && !isJsonObject(variables)) return undefined;
  if (extensions !== undefined && extensions !== null && (!isJsonObject(extensions) || 'persistedQuery' in extensions)) return undefined;
  return { query, operationName: operationName ?? undefined, variables: (variables as Record<string, unknown> | null) ?? undefined };
}
