import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import type { GraphQLField, GraphQLNamedType, GraphQLObjectType, GraphQLSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startNodeProcess, waitForReady, type ManagedProcess } from '@malet/testing';
import { GATEWAY_NODE_FLAGS } from '../src/node-flags';
import { startDifferentialSubgraphs, type DifferentialSubgraphs } from './differential-subgraphs';

/**
 * The compiled executor (src/graphql/compiled-executor.ts) answers exactly as @apollo/gateway's
 * own: two gateway processes on the same supergraph and the same subgraphs, one with each
 * executor (GATEWAY_EXECUTOR), get the same requests; status and body must be byte for byte the
 * same, errors included. Hand-written operations cover each rule the executor reimplements;
 * random operations over the supergraph's API (fast-check) cover their combinations.
 */

const require = createRequire(import.meta.url);
const graphql = require('graphql') as typeof import('graphql');
const { Supergraph } = require('@apollo/federation-internals') as typeof import('@apollo/federation-internals');
const root = resolve(import.meta.dirname, '../..');
const RANDOM_RUNS = Number(process.env.EXECUTOR_DIFFERENTIAL_RUNS ?? 150);

let subgraphs: DifferentialSubgraphs;
let apiSchema: GraphQLSchema;
const gateways: Record<'compiled' | 'stock', { url: string; process: ManagedProcess }> = {} as never;
const scratch = mkdtempSync(join(tmpdir(), 'malet-executor-'));

beforeAll(async () => {
  subgraphs = await startDifferentialSubgraphs();
  apiSchema = Supergraph.build(subgraphs.supergraphSdl).apiSchema().toGraphQLJSSchema() as unknown as GraphQLSchema;
  const supergraphPath = join(scratch, 'supergraph.graphql');
  writeFileSync(supergraphPath, subgraphs.supergraphSdl);
  for (const executor of ['compiled', 'stock'] as const) {
    const url = `http://127.0.0.1:${await freePort()}`;
    const process = startNodeProcess({
      name: `gateway-${executor}`,
      entry: 'gateway/src/main.ts',
      cwd: root,
      nodeFlags: GATEWAY_NODE_FLAGS,
      env: {
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        HOST: '127.0.0.1',
        PORT: new URL(url).port,
        SUPERGRAPH_PATH: supergraphPath,
        // Anonymous requests only: auth is never asked.
        AUTH_URL: 'http://127.0.0.1:9',
        INTERNAL_TOKEN_SECRET: randomBytes(32).toString('hex'),
        GATEWAY_EXECUTOR: executor,
        GRAPHQL_RATE_LIMIT: '1000000',
        // Random operations are larger than the default limits allow (the limits have their own tests).
        GRAPHQL_MAX_ALIASES: '1000',
        GRAPHQL_MAX_DIRECTIVES: '1000',
        GRAPHQL_MAX_DEPTH: '30',
        GRAPHQL_MAX_COST: '1000000',
        GRAPHQL_MAX_TOKENS: '100000',
      },
    });
    gateways[executor] = { url, process };
  }
  await Promise.all(Object.values(gateways).map(({ url, process }) => waitForReady(process, `${url}/ready`)));
}, 120_000);

afterAll(async () => {
  await Promise.all(Object.values(gateways).map(({ process }) => process.stop()));
  await subgraphs?.close();
  rmSync(scratch, { recursive: true, force: true });
});

async function ask(executor: 'compiled' | 'stock', query: string, variables?: Record<string, unknown>) {
  const response = await fetch(`${gateways[executor].url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, ...(variables ? { variables } : {}) }),
  });
  // Masked errors carry a random id for the logs; everything else must be the same bytes.
  return { status: response.status, body: (await response.text()).replace(/"errorId":"[0-9a-f-]{36}"/g, '"errorId":"…"') };
}

/**
 * Both executors' answers to one request: the same status and the same body, byte for byte,
 * but for the order of `errors`. Errors are collected as subgraphs answer, so fetches running in
 * parallel can report theirs in either order, with either executor (the spec gives them no order).
 */
async function bothAnswer(query: string, variables?: Record<string, unknown>) {
  const [compiled, stock] = await Promise.all([ask('compiled', query, variables), ask('stock', query, variables)]);
  expect({ query, status: compiled.status, body: errorsInOneOrder(compiled.body) }).toEqual({ query, status: stock.status, body: errorsInOneOrder(stock.body) });
  return JSON.parse(compiled.body) as { data?: Record<string, unknown> | null; errors?: { message: string; path?: unknown[]; extensions?: Record<string, unknown> }[]; extensions?: unknown };
}

/** The body's text with its errors sorted by their own text; every other byte as sent. */
function errorsInOneOrder(body: string): string {
  const parsed = JSON.parse(body) as { errors?: unknown[] };
  if (!Array.isArray(parsed.errors)) return body;
  const texts = parsed.errors.map((error) => JSON.stringify(error));
  const sorted = [...texts].sort();
  const marker = '\u0000';
  let rest = body;
  for (const text of texts) rest = rest.replace(text, marker);
  const pieces = rest.split(marker);
  return pieces.map((piece, index) => `${piece}${sorted[index] ?? ''}`).join('');
}

async function operationsCounted() {
  const text = await (await fetch(`${gateways.compiled.url}/admin/metrics/prometheus`)).text();
  const count = (executor: string) => Number(new RegExp(`^gateway_graphql_operations_total\\{executor="${executor}"[^}]*\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { compiled: count('compiled'), stock: count('stock') };
}

describe('the compiled executor answers as @apollo/gateway\'s own', () => {
  it('merges entities over three subgraphs, with @requires, in the client\'s field order, aliases and __typename included', async () => {
    const body = await bothAnswer(`{
      topProducts { upc cost: price name __typename shippingEstimate reviews { body author { name username: nickname } } createdBy { id name } }
    }`);
    expect(body.data?.topProducts).toHaveLength(4);
  });

  it('bubbles a null in a non-null field up to the nearest nullable parent, named in extensions.valueCompletion', async () => {
    // Chair's creator, user 404, exists nowhere: its non-null `name` is null, so `createdBy` (nullable) becomes null.
    const body = await bothAnswer('{ product(upc: "p3") { upc createdBy { id name } } me { id nickname } }');
    expect(body.errors).toBeUndefined();
    expect(body.extensions).toEqual({
      valueCompletion: [{ message: 'Cannot return null for non-nullable field User.name.', path: ['product', 'createdBy', 'name'], extensions: { code: 'INVALID_GRAPHQL' } }],
    });
    expect(body.data).toEqual({ product: { upc: 'p3', createdBy: null }, me: { id: '1', nickname: 'ada' } });
  });

  it('places a subgraph\'s error at its path in the client\'s response', async () => {
    const body = await bothAnswer('{ users(first: 2) { id email } product(upc: "p1") { reviews { author { email } } } }');
    expect(body.errors?.map((error) => error.path)).toEqual([
      ['users', 1, 'email'],
      ['product', 'reviews', 1, 'author', 'email'],
    ]);
  });

  it('answers a non-null list whose element bubbles up with data null (user 3\'s nickname is null)', async () => {
    const body = await bothAnswer('{ users(first: 4) { id nickname } }');
    expect(body.data).toBeNull();
  });

  it('applies fragments on an interface and a union by each object\'s __typename, named fragments too', async () => {
    await bothAnswer(`query Search($term: String!) {
      search(term: $term) { __typename ... on User { id name role products { name } } ...TeamParts }
      a: node(id: "1") { id __typename ... on User { tags } ... on Team { title } }
      b: node(id: "t1") { id ... on Team { title members { id name reviews { rating } } } }
      c: node(id: "nobody") { id }
    }
    fragment TeamParts on Team { title members { name } }`, { term: 'e' });
  });

  it('honours @skip and @include with literals, variables and variable defaults', async () => {
    const query = `query Flags($yes: Boolean!, $no: Boolean!, $maybe: Boolean = true) {
      me { id name @include(if: $yes) email @skip(if: $yes) role @include(if: $maybe) reviews @skip(if: $no) { body } products @include(if: false) { upc } }
      topProducts(first: 1) @include(if: $no) { upc }
      ... @skip(if: $no) { user(id: "4") { name } }
    }`;
    await bothAnswer(query, { yes: true, no: false });
    await bothAnswer(query, { yes: false, no: true, maybe: false });
  });

  it('merges a field selected twice, through fragments, into one object', async () => {
    await bothAnswer('{ me { id ... on User { products { upc } } products { name price } ... { products { upc reviews { id } } } } }');
  });

  it('keeps lists of lists, custom scalar values and enum values as the subgraphs sent them', async () => {
    await bothAnswer('{ topProducts { sizes weight reviews { meta rating } } me { role } }');
  });

  it('answers an entity a subgraph cannot resolve with null fields, and an unknown favourite with an error', async () => {
    await bothAnswer('{ user(id: "2") { favourite { upc name reviews { id } } products { upc reviews { id } shippingEstimate } } }');
  });

  it('answers aliases named after inherited properties (constructor, __proto__, toString) as Apollo does', async () => {
    const body = await bothAnswer('{ constructor: me { __proto__: name toString: id } hasOwnProperty: topProducts(first: 1) { valueOf: upc } }');
    expect(body.data).toBeDefined();
  });

  it('refuses bad variables with the same errors', async () => {
    await bothAnswer('query One($id: ID!) { user(id: $id) { name } }', { id: { not: 'an id' } });
    await bothAnswer('query One($first: Int) { users(first: $first) { name } }', { first: 'three' });
  });

  it('runs a mutation, then the query that reads its effect', async () => {
    await bothAnswer('mutation { rename(upc: "p1", name: "Desk") { upc name reviews { body } } }');
    await bothAnswer('{ product(upc: "p1") { name } }');
  });

  it('leaves introspection to the stock executor, and runs everything else compiled', async () => {
    const before = await operationsCounted();
    await bothAnswer('{ __schema { queryType { name } } }');
    await bothAnswer('{ __typename me { __typename id } }');
    const after = await operationsCounted();
    expect(after.stock - before.stock).toBe(1);
    expect(after.compiled - before.compiled).toBe(1);
  });

  it(`answers ${RANDOM_RUNS} random operations over the supergraph identically`, async () => {
    let answeredWithData = 0;
    const before = await operationsCounted();
    await fc.assert(
      fc.asyncProperty(randomOperation(apiSchema), fc.record({ yes: fc.boolean(), no: fc.boolean() }), async (query, variables) => {
        const body = await bothAnswer(query, variables);
        if (body.data !== undefined) answeredWithData += 1;
      }),
      { numRuns: RANDOM_RUNS },
    );
    // The generator must make valid operations, or the comparison proves little.
    expect(answeredWithData).toBeGreaterThan(RANDOM_RUNS * 0.9);
    expect((await operationsCounted()).compiled - before.compiled).toBeGreaterThanOrEqual(answeredWithData);
  }, 300_000);
});

/** Argument values the subgraphs know, and some they do not. */
const ARGUMENTS: Record<string, fc.Arbitrary<string>> = {
  id: fc.constantFrom('"1"', '"2"', '"3"', '"4"', '"404"', '"t1"', '"t2"'),
  upc: fc.constantFrom('"p1"', '"p2"', '"p3"', '"p4"', '"p9"'),
  first: fc.integer({ min: 0, max: 5 }).map(String),
  term: fc.constantFrom('"a"', '"e"', '"eng"', '"zz"'),
};

const DIRECTIVES = fc.constantFrom('', '', '', '', ' @include(if: $yes)', ' @skip(if: $no)', ' @skip(if: false)', ' @include(if: true)', ' @include(if: $no)');

/**
 * Queries over the API schema: fields in random subsets and order, arguments from the pools
 * above (each field with arguments under its own alias, so none conflict), sometimes aliased,
 * sometimes twice, fragments on abstract types' members and on the type itself, directives.
 */
function randomOperation(schema: GraphQLSchema): fc.Arbitrary<string> {
  let aliases = 0;
  const selectionOf = (type: GraphQLNamedType, depth: number): fc.Arbitrary<string> => {
    if (graphql.isUnionType(type) || graphql.isInterfaceType(type)) {
      const members = schema.getPossibleTypes(type);
      const own = graphql.isInterfaceType(type) ? fieldsOf(type as unknown as GraphQLObjectType, depth) : fc.constant<string[]>([]);
      return fc
        .tuple(own, fc.subarray([...members], { minLength: 1 }).chain((chosen) => fc.tuple(...chosen.map((member) => selectionOf(member, depth).map((inner) => `... on ${member.name} { ${inner} }`)))))
        .map(([fields, fragments]) => ['__typename', ...fields, ...fragments].join(' '));
    }
    return fc
      .tuple(fieldsOf(type as GraphQLObjectType, depth), fc.boolean(), fc.boolean())
      .chain(([fields, typename, spread]) =>
        (spread && depth < 3 ? fieldsOf(type as GraphQLObjectType, depth + 1).map((inner) => [`...${pickDirective()} { ${inner.join(' ')} }`]) : fc.constant<string[]>([])).map((fragment) => [
          ...(typename ? ['__typename'] : []),
          ...fields,
          ...fragment,
        ]),
      )
      .map((parts) => parts.join(' '));
  };
  let directiveIndex = 0;
  const pickDirective = () => [' @include(if: $yes)', ' @skip(if: $no)', ''][(directiveIndex += 1) % 3]!;
  const fieldOf = (field: GraphQLField<unknown, unknown>, depth: number): fc.Arbitrary<string> => {
    const named = graphql.getNamedType(field.type);
    const args = field.args.filter((arg) => graphql.isNonNullType(arg.type) || arg.name in ARGUMENTS);
    const argumentText = args.length
      ? fc.tuple(...args.map((arg) => (ARGUMENTS[arg.name] ?? fc.constant('"x"')).map((value) => `${arg.name}: ${value}`))).map((pairs) => `(${pairs.join(', ')})`)
      : fc.constant('');
    const inner = graphql.isLeafType(named) ? fc.constant('') : depth >= 4 ? fc.constant(' { __typename }') : selectionOf(named, depth + 1).map((text) => ` { ${text} }`);
    return fc.tuple(argumentText, fc.boolean(), DIRECTIVES, inner).map(([argsText, alias, directive, innerText]) => {
      const name = args.length > 0 || alias ? `f${(aliases += 1)}: ${field.name}` : field.name;
      return `${name}${argsText}${directive}${innerText}`;
    });
  };
  const fieldsOf = (type: GraphQLObjectType, depth: number): fc.Arbitrary<string[]> =>
    fc
      .constant(Object.values(type.getFields()))
      .chain((all) => fc.shuffledSubarray(all, { minLength: 1, maxLength: Math.min(all.length, depth > 2 ? 2 : 4) }))
      .chain((fields) => fc.tuple(...fields.map((field) => fieldOf(field as GraphQLField<unknown, unknown>, depth))));
  return selectionOf(schema.getQueryType()!, 0).map((body) => {
    const used = ['yes', 'no'].filter((name) => body.includes(`$${name}`));
    const definitions = used.length ? `(${used.map((name) => `$${name}: Boolean!`).join(', ')})` : '';
    return `query Random${definitions} { ${body} }`;
  });
}
