import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import type { NextFunction, Request, Response } from 'express';
import { GraphQLError, NoFragmentCyclesRule, buildSchema, parse, validate, type DocumentNode, type ValidationRule } from 'graphql';
import { LRUCache } from 'lru-cache';
import { AppError } from '@malet/errors';
import { isJsonObject } from './json-object';

/** How much one operation may ask of the gateway before it is planned (GRAPHQL_MAX_*). */
export interface OperationLimits {
  /** Lexical tokens in the document: bounds parsing itself. */
  tokens: number;
  /** Selection depth, fragments followed. */
  depth: number;
  /** Aliased fields: an alias bomb repeats one expensive field thousands of times. */
  aliases: number;
  /** Directives in the document. */
  directives: number;
  /** Estimated cost (graphql-armor's: objects 2, scalars 1, each level deeper ×1.5). */
  cost: number;
}

type LimitName = keyof OperationLimits;

/** A refusal before planning: 400 with the limit it broke (`graphql:limit_<name>`), the GraphQL code QUERY_TOO_COMPLEX. */
export class OperationLimitError extends AppError {
  constructor(limit: LimitName, max: number) {
    super(400, `graphql:limit_${limit}`, `The operation exceeds the gateway's ${limit} limit of ${max}`);
  }
}

/** The document text a request carries: POST body `query`, or GET `?query=`. */
function queryOf(req: Request): unknown {
  if (req.method === 'GET') return req.query.query;
  const body: unknown = req.body;
  return isJsonObject(body) ? body.query : undefined;
}

/**
 * Express middleware in front of Apollo: every document is parsed with a token cap and measured
 * (depth, aliases, directives, cost: graphql-armor's rules) before the gateway plans it, so a
 * hostile query costs one bounded parse and walk, never a query plan or a subgraph call. A
 * document that does not parse, or has fragment cycles, goes on to Apollo, which refuses it
 * with its usual code (the cycle is found before any limit rule would follow it). Verdicts are
 * remembered per document text, so a hot operation is measured once.
 *
 * The rules read only the document (fields, aliases, fragments), never the types, so they run
 * against a placeholder schema: no dependence on the supergraph being loaded, nor on the
 * gateway's copy of graphql-js being the same instance as this module's.
 */
export function createOperationLimits(options: { limits: OperationLimits }) {
  const { limits } = options;
  const documentOnly = buildSchema('type Query { _: Boolean }');
  const verdicts = new LRUCache<string, LimitName | 'ok'>({ maxSize: 8 * 2 ** 20, sizeCalculation: (_value, key) => key.length + 1 });

  function measure(document: DocumentNode): LimitName | 'ok' {
    const broken: LimitName[] = [];
    const reject = (name: LimitName) => ({ onReject: [() => broken.push(name)], propagateOnRejection: false });
    const rules: ValidationRule[] = [
      maxDepthRule({ n: limits.depth, ...reject('depth') }),
      maxAliasesRule({ n: limits.aliases, ...reject('aliases') }),
      maxDirectivesRule({ n: limits.directives, ...reject('directives') }),
      costLimitRule({ maxCost: limits.cost, ...reject('cost') }),
    ];
    // Cycles first: the armor rules would otherwise count a cycle's fragments oddly.
    if (validate(documentOnly, document, [NoFragmentCyclesRule]).length > 0) return 'ok';
    validate(documentOnly, document, rules);
    return broken[0] ?? 'ok';
  }

  /** The document, or why there is none: over the token cap, or a syntax error Apollo will report. */
  function parseWithinTokens(query: string): DocumentNode | 'tokens' | 'unparsable' {
    try {
      return parse(query, { maxTokens: limits.tokens });
    } catch (error) {
      if (!(error instanceof GraphQLError)) throw error;
      // graphql-js stops at the cap with "Document contains more that N tokens" (sic).
      return /contains more th[ae]t? \d+ tokens/.test(error.message) ? 'tokens' : 'unparsable';
    }
  }

  function verdictFor(query: string): LimitName | 'ok' {
    const known = verdicts.get(query);
    if (known) return known;
    const document = parseWithinTokens(query);
    const verdict = document === 'tokens' ? 'tokens' : document === 'unparsable' ? 'ok' : measure(document);
    verdicts.set(query, verdict);
    return verdict;
  }

  return function refuseOperationsOverLimits(req: Request, _res: Response, next: NextFunction): void {
    const query = queryOf(req);
    if (typeof query !== 'string') return next();
    const verdict = verdictFor(query);
    if (verdict === 'ok') return next();
    next(new OperationLimitError(verdict, limits[verdict]));
  };
}
