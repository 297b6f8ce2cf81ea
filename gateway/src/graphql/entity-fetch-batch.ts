import { Kind, parse, print, visit, type DocumentNode, type FieldNode, type GraphQLFormattedError, type OperationDefinitionNode, type VariableDefinitionNode } from 'graphql';

/** One `_entities` fetch as the query plan executor hands it to a data source. */
export interface EntityFetch {
  query: string;
  operationName?: string | undefined;
  variables: Record<string, unknown> & { representations: unknown[] };
}

/** What a subgraph answered, or what one fetch of a batch gets back. */
export interface SubgraphAnswer {
  data?: Record<string, unknown> | null;
  errors?: readonly GraphQLFormattedError[];
  extensions?: Record<string, unknown>;
}

export interface EntityFetchBatch {
  query: string;
  operationName: string | undefined;
  variables: Record<string, unknown>;
  /** Hands every fetch of the batch its own answer, as if it had been sent alone. */
  split: (answer: SubgraphAnswer) => SubgraphAnswer[];
}

const ENTITIES = '_entities';
const parsed = new Map<string, OperationDefinitionNode | null>();
const merged = new Map<string, string>();
const CACHE_LIMIT = 1_000;

function remember<V>(cache: Map<string, V>, key: string, value: V): V {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
  return value;
}

/**
 * The operation of an entity fetch the batcher can merge: one query operation whose only
 * top-level field is an unaliased `_entities`. Anything else (root fetches, mutations) is
 * sent as it came. Parsed once per distinct query text.
 */
function entityOperation(query: string): OperationDefinitionNode | null {
  const known = parsed.get(query);
  if (known !== undefined) return known;
  let operation: OperationDefinitionNode | null = null;
  try {
    const document = parse(query, { noLocation: true });
    const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
    const only = operations.length === 1 ? operations[0]! : null;
    const fields = only?.selectionSet.selections ?? [];
    if (
      only?.operation === 'query' &&
      fields.length === 1 &&
      fields[0]!.kind === Kind.FIELD &&
      fields[0]!.name.value === ENTITIES &&
      !fields[0]!.alias
    ) {
      operation = only;
    }
  } catch {
    operation = null;
  }
  return remember(parsed, query, operation);
}

export function isBatchableEntityFetch(request: { query?: string | undefined; variables?: Record<string, unknown> | undefined }): request is EntityFetch {
  return typeof request.query === 'string' && Array.isArray(request.variables?.representations) && entityOperation(request.query) !== null;
}

/**
 * Each distinct representation's position in the list sent, found by value. Nearly every
 * representation is a type name and one key field (`{ __typename, id }`): those are looked up
 * through maps by type, key name and key value, with no text built (building and hashing JSON
 * for each was 6% of the gateway's time in the federation benchmark). Any other shape is looked
 * up by its JSON text, stable because the executor builds each representation in its `requires`
 * order.
 */
function createRepresentationIndex() {
  const byTypeKeyValue = new Map<string, Map<string, Map<string | number, number>>>();
  const byText = new Map<string, number>();
  return (representation: unknown, add: () => number): number => {
    const simple = singleKey(representation);
    if (simple) {
      const [type, key, value] = simple;
      let byKey = byTypeKeyValue.get(type);
      if (!byKey) byTypeKeyValue.set(type, (byKey = new Map()));
      let byValue = byKey.get(key);
      if (!byValue) byKey.set(key, (byValue = new Map()));
      let at = byValue.get(value);
      if (at === undefined) byValue.set(value, (at = add()));
      return at;
    }
    const text = JSON.stringify(representation);
    let at = byText.get(text);
    if (at === undefined) byText.set(text, (at = add()));
    return at;
  };
}

/** `[type, key name, key value]` of a `{ __typename, <key>: string | number }` representation, else null. */
function singleKey(representation: unknown): [string, string, string | number] | null {
  if (representation === null || typeof representation !== 'object') return null;
  const names = Object.keys(representation);
  if (names.length !== 2 || names[0] !== '__typename') return null;
  const object = representation as Record<string, unknown>;
  const type = object.__typename;
  const value = object[names[1]!];
  if (typeof type !== 'string' || (typeof value !== 'string' && typeof value !== 'number')) return null;
  return [type, names[1]!, value];
}

interface Group {
  query: string;
  operationName: string | undefined;
  otherVariables: Record<string, unknown>;
  unique: unknown[];
  /** Unique index of each representation sent, by value. */
  indexOf: ReturnType<typeof createRepresentationIndex>;
  /** Per member fetch: the unique index of each of its representations, in its order. */
  members: { fetch: number; indexes: number[] }[];
}

/**
 * Merges entity fetches bound for one subgraph into one request, as one operation:
 *
 * - Fetches with the same query (the same selection from different places in the response)
 *   share one `_entities` field, and a representation asked for more than once is sent once.
 * - Different queries become aliased `_entities` fields of one operation, each with its own
 *   renamed variables and fragments.
 *
 * `split` rebuilds each fetch's own answer: its `_entities` list in its own order (a repeated
 * representation gets the one entity the subgraph resolved for it), and each error on the
 * fetch whose representation it concerns, with that fetch's own path, or on the first fetch
 * when it names no entity.
 */
export function batchEntityFetches(fetches: EntityFetch[]): EntityFetchBatch {
  const groups: Group[] = [];
  const byKey = new Map<string, Group>();
  fetches.forEach((fetch, index) => {
    const { representations, ...otherVariables } = fetch.variables;
    const key = `${fetch.operationName ?? ''}\u0000${fetch.query}\u0000${JSON.stringify(otherVariables)}`;
    let group = byKey.get(key);
    if (!group) {
      group = { query: fetch.query, operationName: fetch.operationName, otherVariables, unique: [], indexOf: createRepresentationIndex(), members: [] };
      byKey.set(key, group);
      groups.push(group);
    }
    const { unique, indexOf } = group;
    const indexes = representations.map((representation) => indexOf(representation, () => unique.push(representation) - 1));
    group.members.push({ fetch: index, indexes });
  });

  if (groups.length === 1) {
    const group = groups[0]!;
    return {
      query: group.query,
      operationName: group.operationName,
      variables: { ...group.otherVariables, representations: group.unique },
      split: (answer) => splitGroups(groups, fetches.length, answer, () => ENTITIES),
    };
  }
  const aliasOf = (index: number) => `_${index}${ENTITIES}`;
  const operationName = groups[0]!.operationName;
  return {
    query: mergedQuery(groups, operationName),
    operationName,
    variables: Object.assign(
      {},
      ...groups.map((group, index) => {
        const variables: Record<string, unknown> = {};
        for (const [name, value] of Object.entries({ ...group.otherVariables, representations: group.unique })) variables[`${name}_${index}`] = value;
        return variables;
      }),
    ),
    split: (answer) => splitGroups(groups, fetches.length, answer, aliasOf),
  };
}

/** One operation with each group's `_entities` aliased `_<i>_entities`, its variables and fragments suffixed `_<i>`. */
function mergedQuery(groups: Group[], operationName: string | undefined): string {
  const key = `${operationName ?? ''}\u0001${groups.map((group) => group.query).join('\u0001')}`;
  const known = merged.get(key);
  if (known) return known;
  const variableDefinitions: VariableDefinitionNode[] = [];
  const selections: FieldNode[] = [];
  const fragments: DocumentNode['definitions'][number][] = [];
  groups.forEach((group, index) => {
    const suffix = `_${index}`;
    const document = parse(group.query, { noLocation: true });
    const renamed = visit(document, {
      Variable: (node) => ({ ...node, name: { ...node.name, value: `${node.name.value}${suffix}` } }),
      FragmentSpread: (node) => ({ ...node, name: { ...node.name, value: `${node.name.value}${suffix}` } }),
      FragmentDefinition: (node) => ({ ...node, name: { ...node.name, value: `${node.name.value}${suffix}` } }),
    });
    for (const definition of renamed.definitions) {
      if (definition.kind === Kind.OPERATION_DEFINITION) {
        variableDefinitions.push(...(definition.variableDefinitions ?? []));
        const field = definition.selectionSet.selections[0] as FieldNode;
        selections.push({ ...field, alias: { kind: Kind.NAME, value: `_${index}${ENTITIES}` } });
      } else {
        fragments.push(definition);
      }
    }
  });
  const operation: OperationDefinitionNode = {
    kind: Kind.OPERATION_DEFINITION,
    operation: 'query' as OperationDefinitionNode['operation'],
    ...(operationName ? { name: { kind: Kind.NAME, value: operationName } } : {}),
    variableDefinitions,
    directives: [],
    selectionSet: { kind: Kind.SELECTION_SET, selections },
  };
  return remember(merged, key, print({ kind: Kind.DOCUMENT, definitions: [operation, ...fragments] }));
}

function splitGroups(groups: Group[], count: number, answer: SubgraphAnswer, fieldOf: (group: number) => string): SubgraphAnswer[] {
  const answers: SubgraphAnswer[] = Array.from({ length: count }, () => ({}));
  groups.forEach((group, groupIndex) => {
    const entities = answer.data?.[fieldOf(groupIndex)];
    for (const member of group.members) {
      const own = answers[member.fetch]!;
      if (answer.data === undefined) continue;
      if (answer.data === null) own.data = null;
      else if (!Array.isArray(entities)) own.data = { [ENTITIES]: entities ?? null };
      else own.data = { [ENTITIES]: member.indexes.map((at) => (entities[at] as unknown) ?? null) };
    }
  });
  const first = answers[groups[0]!.members[0]!.fetch]!;
  if (answer.extensions) first.extensions = answer.extensions;
  for (const error of answer.errors ?? []) {
    const [head, at, ...rest] = error.path ?? [];
    const groupIndex = groups.findIndex((_, index) => fieldOf(index) === head);
    const group = groups[groupIndex];
    let owner: SubgraphAnswer = first;
    let path = error.path;
    if (group) {
      path = [ENTITIES, ...(at === undefined ? [] : [at]), ...rest];
      const member = typeof at === 'number' ? group.members.find((candidate) => candidate.indexes.includes(at)) : group.members[0];
      if (member) {
        owner = answers[member.fetch]!;
        if (typeof at === 'number') path = [ENTITIES, member.indexes.indexOf(at), ...rest];
      }
    }
    owner.errors = [...(owner.errors ?? []), path ? { ...error, path } : error];
  }
  return answers;
}
