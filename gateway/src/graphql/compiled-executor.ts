import type { ApolloGateway } from '@apollo/gateway';
import { operationFromDocument, type Schema } from '@apollo/federation-internals';
import type { QueryPlan, QueryPlanner } from '@apollo/query-planner';
import { createHash } from 'node:crypto';
import { GraphQLError, Kind, getOperationAST, getVariableValues, parse, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import { executePlanNode, planIsSupported, type FetchingService, type PlanRun } from './plan-executor';
import { compileResponseShape, type ResponseShape } from './response-shaper';

/**
 * The gateway's executor: each distinct operation is planned and compiled once (its query plan,
 * its variable definitions, its response shape), and a request only runs the compiled parts.
 *
 * @apollo/gateway's own executor redoes per request what depends only on the operation: it
 * hashes the query for its plan store, rebuilds the operation from the document twice (for the
 * plan key's context and for result shaping), and walks the operation's selection objects to
 * shape the answer. `pnpm bench federation` compares both (the "stock Apollo executor" row).
 *
 * Operations this executor does not run go to the stock one, unchanged: schema introspection,
 * plans with `@defer`, subscriptions or data rewrites (`@interfaceObject`, `@fromContext`),
 * requests asking for usage traces, and operations the planner refuses (the stock executor
 * then reports the refusal as it always has).
 */

/** The parts of ApolloGateway this executor reads once it has loaded (not in its public types). */
interface LoadedGateway {
  schema: GraphQLSchema;
  apiSchema: Schema;
  supergraphSchema: GraphQLSchema;
  queryPlanner: QueryPlanner;
  serviceMap: Record<string, { dataSource: FetchingService }>;
  recursiveSelectionsLimitDisabled?: boolean;
  nonLocalSelectionsLimitDisabled?: boolean;
}

interface CompiledOperation {
  plan: QueryPlan;
  shape: ResponseShape;
  variableDefinitions: OperationDefinitionNode['variableDefinitions'];
  defaults: Record<string, unknown>;
}

type Executor = ApolloGateway['executor'];
type RequestContext = Parameters<Executor>[0];
type ExecutionResult = Awaited<ReturnType<Executor>>;

/**
 * An operation text (with the operation name the client sent) that Apollo Server has already
 * parsed, validated and handed to this executor, which ran it compiled. Parsing and validation
 * depend only on the text and the supergraph, so a request sending the same text again can be run
 * without Apollo Server's request pipeline (ready-operations.ts).
 */
export interface ReadyOperation {
  type: 'query' | 'mutation';
  /** The operation's own name, as Apollo Server resolves it for the metrics. */
  name: string | null;
  run(context: unknown, variables: Record<string, unknown> | undefined): Promise<ExecutionResult>;
}

/** Set on a request's context when its operation already ran (ready-operations.ts): its result is the answer. */
export const ALREADY_EXECUTED = Symbol('malet.alreadyExecuted');
export interface MaybeExecuted {
  [ALREADY_EXECUTED]?: Promise<ExecutionResult>;
}

const STOCK = 'stock' as const;

export function installCompiledExecutor(
  gateway: ApolloGateway,
  options: {
    /** Called with every plan before it is first used (entity batching's levels). */
    arrangePlan?: (plan: QueryPlan) => void;
    /** Compiled-operation cache lookups, counted as query-plan cache lookups. */
    onLookup?: (result: 'hit' | 'miss') => void;
    /** Which executor ran each operation. */
    onExecute?: (executor: 'compiled' | 'stock') => void;
    maxOperations?: number;
  } = {},
): { prepare: (query: string) => void; ready: (query: string, operationName: string | undefined) => ReadyOperation | undefined } {
  const stock = gateway.executor;
  const loaded = gateway as unknown as LoadedGateway;
  const compiled = new LRUCache<string, CompiledOperation | typeof STOCK>({ max: options.maxOperations ?? 2_000 });
  const ready = new LRUCache<string, ReadyOperation>({ max: options.maxOperations ?? 2_000 });
  let services: Record<string, FetchingService> | undefined;

  function compile(document: DocumentNode, operationName: string | undefined): CompiledOperation | typeof STOCK {
    try {
      const definition = getOperationAST(document, operationName);
      if (!definition || definition.operation === 'subscription') return STOCK;
      const plan = loaded.queryPlanner.buildQueryPlan(operationFromDocument(loaded.apiSchema, document, { operationName }), {
        recursiveSelectionsLimitDisabled: loaded.recursiveSelectionsLimitDisabled,
        nonLocalSelectionsLimitDisabled: loaded.nonLocalSelectionsLimitDisabled,
      });
      if (!planIsSupported(plan.node)) return STOCK;
      const operation = operationFromDocument(loaded.apiSchema, document, { operationName, validate: false });
      const shape = compileResponseShape(operation);
      if (!shape) return STOCK;
      options.arrangePlan?.(plan);
      return { plan, shape, variableDefinitions: definition.variableDefinitions, defaults: operation.collectDefaultedVariableValues() };
    } catch {
      // The stock executor meets the same refusal and reports it in its own way.
      return STOCK;
    }
  }

  const runStock = (requestContext: RequestContext) => {
    options.onExecute?.('stock');
    return stock(requestContext);
  };

  const runCompiled = (operation: CompiledOperation, requestContext: RequestContext, lookup: 'hit' | 'miss') => {
    options.onLookup?.(lookup);
    options.onExecute?.('compiled');
    services ??= Object.fromEntries(Object.entries(loaded.serviceMap).map(([name, { dataSource }]) => [name, dataSource]));
    return execute(operation, requestContext, services, loaded);
  };

  gateway.executor = async (requestContext) => {
    const executed = (requestContext.context as MaybeExecuted)[ALREADY_EXECUTED];
    if (executed) return executed;
    if (requestContext.metrics?.captureTraces) return runStock(requestContext);
    const operationName = requestContext.request.operationName ?? undefined;
    const key = keyOf(operationName, requestContext.queryHash);
    let operation = compiled.get(key);
    let lookup: 'hit' | 'miss' = 'hit';
    if (operation === undefined) {
      operation = compile(requestContext.document, operationName);
      compiled.set(key, operation);
      lookup = 'miss';
    }
    if (operation === STOCK) return runStock(requestContext);
    remember(operation, requestContext);
    return runCompiled(operation, requestContext, lookup);
  };

  function remember(operation: CompiledOperation, requestContext: RequestContext) {
    const key = readyKey(requestContext.source, requestContext.request.operationName ?? undefined);
    if (ready.has(key) || !requestContext.operation) return;
    const { operation: type, name } = requestContext.operation;
    if (type === 'subscription') return;
    ready.set(key, {
      type,
      name: name?.value ?? null,
      run: (context, variables) => runCompiled(operation, { context, request: { variables } } as unknown as RequestContext, 'hit'),
    });
  }

  return {
    /**
     * Plans and compiles a query text's operations before any request asks for them (the
     * persisted operations, at start), under the names a client may send: each operation's own,
     * and none when it is the only one. A text that does not parse is left to the requests.
     */
    prepare(query: string) {
      let document: DocumentNode;
      try {
        document = parse(query);
      } catch {
        return;
      }
      // Apollo Server's queryHash: the SHA-256 of the text as sent.
      const queryHash = createHash('sha256').update(query).digest('hex');
      const operations = document.definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
      const names = operations.map((operation) => operation.name?.value).filter((name): name is string => name !== undefined);
      for (const name of operations.length === 1 ? [undefined, ...names] : names) {
        const key = keyOf(name, queryHash);
        if (!compiled.has(key)) compiled.set(key, compile(document, name));
      }
    },
    ready: (query, operationName) => ready.get(readyKey(query, operationName)),
  };
}

// A name sent as "" is not a missing name (Apollo Server refuses it): the two keys differ.
const readyKey = (query: string, operationName: string | undefined) => `${operationName === undefined ? '' : `=${operationName}`}\u0000${query}`;

const keyOf = (operationName: string | undefined, queryHash: string) => `${operationName ?? ''}\u0000${queryHash}`;

async function execute(operation: CompiledOperation, requestContext: RequestContext, services: Record<string, FetchingService>, loaded: LoadedGateway): Promise<ExecutionResult> {
  const variables = requestContext.request.variables ?? undefined;
  if (operation.variableDefinitions && operation.variableDefinitions.length > 0) {
    const { errors } = getVariableValues(loaded.schema, operation.variableDefinitions, variables ?? {});
    if (errors) return { errors };
  }
  const run: PlanRun = { services, supergraphSchema: loaded.supergraphSchema, variables, defaults: operation.defaults, requestContext, errors: [] };
  // Plain, not prototype-less: faster, and deepMerge makes an inherited key (`constructor`) its own before writing it.
  const merged: Record<string, unknown> = {};
  await executePlanNode(run, operation.plan.node as Parameters<typeof executePlanNode>[1], merged);
  try {
    const { data, errors } = operation.shape.shape(merged, variables);
    if (run.errors.length === 0 && errors.length > 0) return { extensions: { valueCompletion: errors }, data: data as Record<string, unknown> | null };
    return run.errors.length === 0 ? { data: data as Record<string, unknown> | null } : { errors: run.errors, data: data as Record<string, unknown> | null };
  } catch (error) {
    if (error instanceof GraphQLError) return { errors: [error] };
    return { errors: [new GraphQLError(error instanceof Error ? error.message : 'Unexpected error during query plan execution', { originalError: error instanceof Error ? error : undefined })] };
  }
}
