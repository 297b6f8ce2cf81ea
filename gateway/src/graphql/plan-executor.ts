import { ERRORS, errorCodeDef } from '@apollo/federation-internals';
import type { FetchNode, PlanNode, QueryPlanSelectionNode, ResponsePath } from '@apollo/query-planner';
import { GraphQLError, isAbstractType, isInterfaceType, isObjectType, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { isJsonObject } from './json-object';

/**
 * Runs a query plan against the subgraphs and merges what they answer into one data tree, with
 * the same rules as @apollo/gateway's `executeQueryPlan` (executeQueryPlan.js) minus what this
 * gateway never uses: usage-reporting traces, OpenTelemetry spans, `@defer`, subscriptions and
 * data rewrites (plans needing those go to the stock executor; see `planIsSupported`).
 *
 * Fetches go through the gateway's data sources exactly as the stock executor sends them (the
 * same `process` options), so internal tokens, deadlines, circuits, metrics and entity batching
 * apply unchanged. Errors a subgraph reports are placed at their path in the client's response
 * and named by subgraph; a fetch that fails stops only its own part of the answer.
 */

/** What a data source's `process` is given and answers (see @apollo/gateway's RemoteGraphQLDataSource). */
export interface FetchingService {
  process(options: {
    kind: 'incoming operation';
    request: { query: string; variables: Record<string, unknown>; operationName: string | undefined };
    incomingRequestContext: unknown;
    context: unknown;
    document: unknown;
    pathInIncomingRequest: ResponsePath;
  }): Promise<{ data?: Record<string, unknown> | null; errors?: readonly GraphQLFormattedError[] }>;
}

export interface PlanRun {
  services: Record<string, FetchingService>;
  supergraphSchema: GraphQLSchema;
  variables: Record<string, unknown> | undefined;
  /** Variable defaults of the operation, for `Condition` nodes. */
  defaults: Record<string, unknown>;
  requestContext: { context: unknown };
  errors: GraphQLError[];
}

interface Cursor {
  path: ResponsePath;
  data: unknown;
  fullResult: Record<string, unknown>;
}

type Entity = Record<string, unknown>;

/** True when every node of the plan is one this executor runs (no defer, no subscription, no rewrites). */
export function planIsSupported(node: { kind: string } | undefined): boolean {
  if (!node) return true;
  const plan = node as PlanNode;
  switch (plan.kind) {
    case 'Sequence':
    case 'Parallel':
      return plan.nodes.every(planIsSupported);
    case 'Flatten':
      return planIsSupported(plan.node);
    case 'Condition':
      return planIsSupported(plan.ifClause) && planIsSupported(plan.elseClause);
    case 'Fetch':
      return !plan.inputRewrites?.length && !plan.outputRewrites?.length && !plan.contextRewrites?.length && !plan.hasDefers;
    default:
      return false;
  }
}

/** Executes the plan's root node into `data`; subgraph errors are collected in `run.errors`. */
export async function executePlanNode(run: PlanRun, node: PlanNode | undefined, data: Record<string, unknown>): Promise<void> {
  if (node) await executeNode(run, node, { path: [], data, fullResult: data });
}

async function executeNode(run: PlanRun, node: PlanNode, cursor: Cursor | undefined): Promise<void> {
  if (!cursor) return;
  switch (node.kind) {
    case 'Sequence':
      for (const child of node.nodes) await executeNode(run, child, cursor);
      return;
    case 'Parallel':
      await Promise.all(node.nodes.map((child) => executeNode(run, child, cursor)));
      return;
    case 'Flatten':
      await executeNode(run, node.node, moveIntoCursor(cursor, node.path));
      return;
    case 'Fetch':
      try {
        await executeFetch(run, node, cursor);
      } catch (error) {
        run.errors.push(error as GraphQLError);
      }
      return;
    case 'Condition': {
      const branch = conditionHolds(run, node.condition) ? node.ifClause : node.elseClause;
      if (branch) await executeNode(run, branch, cursor);
      return;
    }
    default:
      throw new Error(`${node.kind} nodes are not run by this executor`);
  }
}

function conditionHolds(run: PlanRun, variable: string): boolean {
  let value = run.variables && Object.hasOwn(run.variables, variable) ? run.variables[variable] : undefined;
  if (value === undefined) value = run.defaults[variable];
  if (typeof value !== 'boolean') throw new Error(`Invalid value ${String(value)} for Boolean! variable $${variable}`);
  return value;
}

async function executeFetch(run: PlanRun, fetch: FetchNode, cursor: Cursor): Promise<void> {
  const service = run.services[fetch.serviceName];
  if (!service) throw new Error(`Couldn't find service with name "${fetch.serviceName}"`);
  const entities: Entity[] = Array.isArray(cursor.data) ? (cursor.data.filter((entity) => entity !== null && entity !== undefined) as Entity[]) : [cursor.data as Entity];
  if (entities.length < 1) return;
  const variables: Record<string, unknown> = Object.create(null);
  for (const name of fetch.variableUsages ?? []) {
    const value = run.variables && Object.hasOwn(run.variables, name) ? run.variables[name] : undefined;
    if (value !== undefined) variables[name] = value;
  }

  const send = async (sent: Record<string, unknown>) => {
    const response = await service.process({
      kind: 'incoming operation',
      request: { query: fetch.operation, variables: sent, operationName: fetch.operationName },
      incomingRequestContext: run.requestContext,
      context: run.requestContext.context,
      document: fetch.operationDocumentNode,
      pathInIncomingRequest: cursor.path,
    });
    if (response.errors) {
      const pathOf = lazyErrorPaths(fetch, cursor);
      for (const error of response.errors) run.errors.push(downstreamError(error, fetch.serviceName, pathOf));
    }
    return response.data;
  };

  if (!fetch.requires) {
    const received = await send(variables);
    for (const entity of entities) deepMerge(entity, received);
    return;
  }
  const representations: Entity[] = [];
  const entityOf: number[] = [];
  entities.forEach((entity, index) => {
    const representation = selectRepresentation(run.supergraphSchema, entity, fetch.requires!);
    if (representation && representation.__typename) {
      representations.push(representation);
      entityOf.push(index);
    }
  });
  if (representations.length < 1) return;
  if ('representations' in variables) throw new Error('Variables cannot contain key "representations"');
  const received = await send({ ...variables, representations });
  if (!received) return;
  const answered = received._entities;
  if (!Array.isArray(answered)) throw new Error('Expected "data._entities" in response to be an array');
  if (answered.length !== representations.length) throw new Error(`Expected "data._entities" to contain ${representations.length} elements`);
  // As the stock executor: `entities.length` bounds the loop, the answer's own length was checked above.
  for (let index = 0; index < entities.length; index += 1) {
    const entity = answered[index] as Entity | null | undefined;
    const existing = entities[entityOf[index]!];
    if (entity && !entity.__typename && existing) entity.__typename = existing.__typename;
    if (existing) deepMerge(existing, entity);
  }
}

/** The representation of an entity: the `requires` selection read from what is known of it. */
function selectRepresentation(schema: GraphQLSchema, source: Entity | null, selections: readonly QueryPlanSelectionNode[]): Entity | null {
  if (source === null) return null;
  // Keys are the `requires` selection's field names: schema names, never inherited ones.
  const result: Entity = {};
  for (const selection of selections) {
    if (selection.kind === 'Field') {
      const name = selection.alias ?? selection.name;
      const value = Object.hasOwn(source, name) ? source[name] : undefined;
      if (value === undefined) return null;
      const children = selection.selections;
      if (Array.isArray(value)) result[name] = value.map((item) => (children ? selectRepresentation(schema, item as Entity | null, children) : item));
      else if (children) result[name] = selectRepresentation(schema, value as Entity | null, children);
      else result[name] = value;
    } else {
      if (!selection.typeCondition) continue;
      if (isObjectOfType(schema, source, selection.typeCondition)) deepMerge(result, selectRepresentation(schema, source, selection.selections));
    }
  }
  return result;
}

function isObjectOfType(schema: GraphQLSchema, object: Entity, typeCondition: string): boolean {
  const typename = object.__typename as string | undefined;
  if (!typename) return false;
  if (typeCondition === typename) return true;
  const type = schema.getType(typename);
  const condition = schema.getType(typeCondition);
  if (!type || !condition || !isAbstractType(condition)) return false;
  return (isObjectType(type) || isInterfaceType(type)) && schema.isSubType(condition, type);
}

function moveIntoCursor(cursor: Cursor, path: ResponsePath): Cursor | undefined {
  const data = path.includes('@') ? collectAtPath(cursor.data, path, 0, []) : valueAtPath(cursor.data, path);
  return data ? { path: cursor.path.concat(path), data, fullResult: cursor.fullResult } : undefined;
}

/** The value at a path without lists (`@`). */
function valueAtPath(value: unknown, path: ResponsePath): unknown {
  for (const step of path) {
    if (value === undefined || value === null) return value;
    value = stepInto(value, step);
  }
  return value;
}

/**
 * Every value at a path through lists, in order, in one array (as Apollo's recursive flatMap,
 * without an array per level): nulls are kept (the fetch skips them), a list reached at the
 * path's end is spread into the result.
 */
function collectAtPath(value: unknown, path: ResponsePath, at: number, into: unknown[]): unknown[] {
  if (value === undefined || value === null) {
    into.push(value);
    return into;
  }
  if (at === path.length) {
    if (Array.isArray(value)) for (const element of value) into.push(element);
    else into.push(value);
    return into;
  }
  const step = path[at]!;
  if (step === '@') {
    if (!Array.isArray(value)) throw new Error('Expected a list where the query plan has `@`');
    for (const element of value) collectAtPath(element, path, at + 1, into);
    return into;
  }
  return collectAtPath(stepInto(value, step), path, at + 1, into);
}

function stepInto(value: unknown, step: string | number): unknown {
  if (typeof step !== 'string' || Array.isArray(value)) throw new Error(`Unexpected path element ${String(step)} in the query plan`);
  const object = value as Entity;
  return Object.hasOwn(object, step) ? object[step] : undefined;
}

/** Deep merge as the stock executor's: objects merge, equal-length lists merge element by element. */
function deepMerge(target: Entity, source: unknown): void {
  if (source === undefined || source === null) return;
  const from = source as Entity;
  for (const key of Object.keys(from)) {
    const value = from[key];
    if (value === undefined) continue;
    // A key the object inherits (`constructor`, `__proto__`) becomes its own before merging.
    if (!Object.hasOwn(target, key) && key in target) Object.defineProperty(target, key, { configurable: true, enumerable: true, value: undefined, writable: true });
    const current = target[key];
    if (current && isJsonObject(value)) {
      deepMerge(current as Entity, value);
    } else if (Array.isArray(value) && Array.isArray(current) && value.length === current.length) {
      for (let index = 0; index < value.length; index += 1) {
        if (isJsonObject(current[index]) && isJsonObject(value[index])) deepMerge(current[index] as Entity, value[index]);
        else current[index] = value[index];
      }
    } else {
      target[key] = value;
    }
  }
}

/** Where a subgraph error lands in the client's response (entity errors name the entity's own path). */
function lazyErrorPaths(fetch: FetchNode, cursor: Cursor) {
  let hydrated: ResponsePath[] | undefined;
  return (errorPath: readonly (string | number)[] | undefined): ResponsePath | undefined => {
    if (fetch.requires && typeof errorPath?.[1] === 'number') {
      if (!hydrated) {
        hydrated = [];
        hydratePaths([], cursor.path, cursor.fullResult, hydrated);
      }
      return [...(hydrated[errorPath[1]] ?? []), ...errorPath.slice(2)];
    }
    return errorPath ? [...cursor.path, ...errorPath] : undefined;
  };
}

function hydratePaths(parent: ResponsePath, path: ResponsePath, data: unknown, result: ResponsePath[]): void {
  if (data === null || data === undefined) return;
  const head = path[0];
  if (head === undefined) {
    result.push(parent.slice());
  } else if (head === '@') {
    if (!Array.isArray(data)) throw new Error('expected array when encountering `@`');
    data.forEach((value, index) => {
      parent.push(index);
      hydratePaths(parent, path.slice(1), value, result);
      parent.pop();
    });
  } else if (Array.isArray(data)) {
    data.forEach((value, index) => {
      parent.push(index);
      hydratePaths(parent, path, value, result);
      parent.pop();
    });
  } else if (Object.hasOwn(data as Entity, head)) {
    parent.push(head);
    hydratePaths(parent, path.slice(1), (data as Entity)[head as string], result);
    parent.pop();
  }
}

function downstreamError(original: GraphQLFormattedError, serviceName: string, pathOf: (path: readonly (string | number)[] | undefined) => ResponsePath | undefined): GraphQLError {
  const message = original.message || `Error while fetching subquery from service "${serviceName}"`;
  const options = { originalError: original as Error, path: pathOf(original.path), extensions: { ...original.extensions, serviceName } };
  const known = errorCodeDef(original as never);
  if (!known && original.extensions?.code) return new GraphQLError(message, options);
  return (known ?? ERRORS.DOWNSTREAM_SERVICE_ERROR).err(message, options);
}
