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
 * executor (GATEWAY_EXECUTOR), get the same requests; status, headers and body must be byte for
 * byte the same, errors included. The compiled gateway gets each request twice: the first goes
 * through Apollo Server, the second is a ready operation answered without it
 * (src/graphql/ready-operations.ts); both must match. Hand-written operations cover each rule
 * the executor reimplements; random operations over the supergraph's API (fast-check) cover
 * their combinations.
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

/** Headers that differ between any two answers (the request id, the clock, the connection). */
const PER_RESPONSE_HEADERS = new Set(['date', 'x-request-id', 'connection', 'keep-alive', 'etag', 'content-length']);

async function ask(executor: 'compiled' | 'stock', query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await fetch(`${gateways[executor].url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, ...(variables ? { variables } : {}) }),
  });
  // Masked errors carry a random id for the logs; everything else must be the same bytes.
  const body = (await response.text()).replace(/"errorId":"[0-9a-f-]{36}"/g, '"errorId":"…"');
  const sameHeaders: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (!PER_RESPONSE_HEADERS.has(name)) sameHeaders[name] = value;
  });
  return { answer: { status: response.status, headers: sameHeaders, body: errorsInOneOrder(body), bytes: Buffer.byteLength(body) }, body };
}

/**
 * Both executors' answers to one request: the same status, headers and body, byte for byte, but
 * for the order of `errors`. Errors are collected as subgraphs answer, so fetches running in
 * parallel can report theirs in either order, with either executor (the spec gives them no order).
 * The compiled gateway answers twice: through Apollo Server, then as a ready operation.
 */
async function bothAnswer(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>) {
  const [[first, again], stock] = await Promise.all([
    ask('compiled', query, variables, headers).then(async (answer) => [answer, await ask('compiled', query, variables, headers)]),
    ask('stock', query, variables, headers),
  ]);
  expect({ query, ...first!.answer }).toEqual({ query, ...stock.answer });
  expect({ query, ...again!.answer }).toEqual({ query, ...stock.answer });
  return JSON.parse(first!.body) as { data?: Record<string, unknown> | null; errors?: { message: string; path?: unknown[]; extensions?: Record<string, unknown> }[]; extensions?: unknown };
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
  const count = (metric: string, label: string, value: string) => Number(new RegExp(`^${metric}\\{${label}="${value}"[^}]*\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  const subgraphRequests = [...text.matchAll(/^gateway_subgraph_request_duration_seconds_count\{[^}]*\} (\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
  return {
    compiled: count('gateway_graphql_operations_total', 'executor', 'compiled'),
    stock: count('gateway_graphql_operations_total', 'executor', 'stock'),
    answeredDirectly: count('gateway_graphql_direct_answers_total', 'outcome', 'answered'),
    handedToApollo: count('gateway_graphql_direct_answers_total', 'outcome', 'handed_to_apollo'),
    subgraphRequests,
  };
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
    // Each asked twice of the compiled gateway: introspection both times by Apollo's executor.
    expect(after.stock - before.stock).toBe(2);
    expect(after.compiled - before.compiled).toBe(2);
    expect(after.answeredDirectly - before.answeredDirectly).toBe(1);
  });

  it('answers a repeated operation without Apollo Server for each Accept header it negotiates, and leaves other Accept headers to Apollo Server', async () => {
    const query = '{ topProducts(first: 2) { upc name } }';
    const negotiated = ['*/*', 'application/json', 'application/json, text/plain, */*', 'application/graphql-response+json', 'application/graphql-response+json, application/json;q=0.9', 'application/graphql-response+json,application/json;q=0.9'];
    const before = await operationsCounted();
    for (const accept of negotiated) await bothAnswer(query, undefined, { accept });
    const afterNegotiated = await operationsCounted();
    expect(afterNegotiated.answeredDirectly - before.answeredDirectly).toBeGreaterThanOrEqual(negotiated.length);
    for (const accept of ['text/html', 'application/json;q=0.1, application/graphql-response+json', 'multipart/mixed']) await bothAnswer(query, undefined, { accept });
    expect((await operationsCounted()).answeredDirectly).toBe(afterNegotiated.answeredDirectly);
  });

  it('hands a ready operation\'s result with errors to Apollo Server to format, without running it again', async () => {
    const query = '{ users(first: 2) { id email } }';
    const first = await operationsCounted();
    await ask('compiled', query);
    const second = await operationsCounted();
    await bothAnswer(query);
    const third = await operationsCounted();
    // bothAnswer asked the compiled gateway twice, each the ready operation's result handed over once, fetched once.
    expect(third.handedToApollo - second.handedToApollo).toBe(2);
    expect(third.subgraphRequests - second.subgraphRequests).toBe(2 * (second.subgraphRequests - first.subgraphRequests));
    expect(second.subgraphRequests - first.subgraphRequests).toBeGreaterThan(0);
  });

  it('leaves requests that are not plain to Apollo Server, which answers them as before', async () => {
    const query = '{ me { id name } }';
    await bothAnswer(query);
    const before = await operationsCounted();
    const bodies: [string, string][] = [
      [JSON.stringify({ query, operationName: '' }), 'application/json'],
      [JSON.stringify({ query, extensions: { persistedQuery: { version: 1, sha256Hash: 'ab' } } }), 'application/json'],
      [JSON.stringify({ query, variables: 'not an object' }), 'application/json'],
      [JSON.stringify({ query, operationName: 7 }), 'application/json'],
      [`query=${encodeURIComponent(query)}`, 'application/x-www-form-urlencoded'],
      [JSON.stringify({ query }), 'text/plain'],
    ];
    for (const [body, type] of bodies) {
      const [compiled, stock] = await Promise.all(
        (['compiled', 'stock'] as const).map(async (executor) => {
          const response = await fetch(`${gateways[executor].url}/graphql`, { method: 'POST', headers: { 'content-type': type }, body });
          return { body, status: response.status, text: (await response.text()).replace(/"errorId":"[0-9a-f-]{36}"/g, '"errorId":"…"') };
        }),
      );
      expect(compiled).toEqual(stock);
    }
    expect((await operationsCounted()).answeredDirectly).toBe(before.answeredDirectly);
  });

  it('refuses a request naming no operation of its document with 400 OPERATION_RESOLUTION_FAILURE, never a 500', async () => {
    const cases = [
      { query: '{ me { id } }', operationName: '' },
      { query: '{ me { id } }', operationName: 'Nope' },
      { query: 'query A { me { id } } query B { me { name } }' },
    ];
    for (const body of cases) {
      for (const executor of ['compiled', 'stock'] as const) {
        const response = await fetch(`${gateways[executor].url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        const answer = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
        expect({ executor, body, status: response.status, code: answer.errors[0]?.extensions.code }).toEqual({ executor, body, status: 400, code: 'OPERATION_RESOLUTION_FAILURE' });
      }
    }
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
