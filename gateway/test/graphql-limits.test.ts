import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer } from '@malet/http-server';
import { createLogger } from '@malet/logging';
import { SERVICES } from '@malet/service-registry';
import { createGatewayApp } from '../src/app';
import { loadGatewayConfig } from '../src/config';
import { startGatewayTestInstance, type GatewayTestInstance } from './gateway-test-instance';
import { clientFrom, type LoopbackAnswer } from './loopback-client';

const RATE_LIMIT = 20;

let suite: GatewayTestInstance;
let token: string;
beforeAll(async () => {
  suite = await startGatewayTestInstance({
    env: { gateway: { GRAPHQL_RATE_LIMIT: String(RATE_LIMIT), GRAPHQL_RATE_LIMIT_WINDOW_SECONDS: '600' } },
  });
  ({ token } = await suite.devToken('user@example.com'));
});
afterAll(() => suite?.stop());

/**
 * A second gateway in this process, in front of the suite's services, with its own settings
 * (a manifest, a cost limit): cheaper than another suite of processes.
 */
async function startInProcessGateway(env: Record<string, string>) {
  const logger = createLogger({ service: 'gateway', level: 'silent' });
  const config = loadGatewayConfig({
    NODE_ENV: 'test',
    INTERNAL_TOKEN_SECRET: suite.internalTokenSecret,
    ...Object.fromEntries(SERVICES.map((service) => [service.urlEnv, suite.urls[service.name]])),
    ...env,
  });
  const gateway = await createGatewayApp({ config, logger });
  const server = await startHttpServer(gateway.app, { port: 0, host: '127.0.0.1', logger });
  return {
    url: server.url,
    metrics: gateway.metrics,
    async send(body: unknown) {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: { extensions: Record<string, unknown> }[] } };
    },
    async stop() {
      await server.close();
      await gateway.close();
    },
  };
}

/** A GraphQL POST to the gateway from one loopback address (one real client). */
function graphqlFrom(address: string, query: string, headers: Record<string, string> = {}): Promise<LoopbackAnswer> {
  return clientFrom(address)(`${suite.gatewayUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify({ query }),
  });
}

const errorOf = (answer: LoopbackAnswer) => (answer.body?.errors as { extensions: Record<string, unknown> }[] | undefined)?.[0]?.extensions;

/**
 * `{ me { organizations { members { user { organizations ... } } } } }`: `depth` fields from `me`
 * to the leaf (the depth graphql-armor counts), every one a real field of the schema.
 */
function deepQuery(depth: number): string {
  const cycle = [
    { field: 'organizations', leaf: 'id' },
    { field: 'members', leaf: 'role' },
    { field: 'user', leaf: 'id' },
  ];
  const wrappers = depth - 2; // `me` and the leaf are the other two
  let selection = wrappers > 0 ? cycle[(wrappers - 1) % 3]!.leaf : 'id';
  for (let level = wrappers; level >= 1; level -= 1) selection = `${cycle[(level - 1) % 3]!.field} { ${selection} }`;
  return `{ me { ${selection} } }`;
}

/** Expects a refusal before planning: 400, QUERY_TOO_COMPLEX, the limit's reason. */
function expectRefused(answer: LoopbackAnswer, limit: string) {
  expect({ status: answer.status, ...errorOf(answer) }).toMatchObject({ status: 400, code: 'QUERY_TOO_COMPLEX', reason: `graphql:limit_${limit}` });
  expect(answer.body?.data).toBeUndefined();
}

describe('the gateway refuses abusive operations before planning them, and keeps answering others', () => {
  const normalClient = '127.0.0.22';
  const meFromNormalClient = async () => {
    const answer = await graphqlFrom(normalClient, '{ me { id email } }');
    expect(answer.status).toBe(200);
    expect((answer.body?.data as { me: { email: string } }).me.email).toBe('user@example.com');
  };

  it('the alias bomb (8,000 aliases of me { sessions { id } }): refused with a code while a second client is answered', async () => {
    const bomb = `{ ${Array.from({ length: 8_000 }, (_, i) => `a${i}: me { sessions { id } }`).join(' ')} }`;
    expect(bomb.length).toBeGreaterThan(180_000);
    const [refused] = await Promise.all([graphqlFrom('127.0.0.21', bomb), meFromNormalClient()]);
    // 56,000 tokens: the parse stops at the token limit, before any alias is counted.
    expectRefused(refused, 'tokens');
  });

  it('a depth bomb: refused while a second client is answered', async () => {
    const [refused] = await Promise.all([graphqlFrom('127.0.0.21', deepQuery(60)), meFromNormalClient()]);
    expectRefused(refused, 'depth');
  });

  it('a fragment cycle: refused by validation (never followed) while a second client is answered', async () => {
    const cycle = '{ me { ...A } } fragment A on User { organizations { members { user { ...B } } } } fragment B on User { ...A }';
    const [refused] = await Promise.all([graphqlFrom('127.0.0.21', cycle), meFromNormalClient()]);
    expect({ status: refused.status, code: errorOf(refused)?.code }).toEqual({ status: 400, code: 'GRAPHQL_VALIDATION_FAILED' });
  });

  it('a 2 MB query: refused as PAYLOAD_TOO_LARGE in the GraphQL shape while a second client is answered', async () => {
    const huge = `{ __typename } # ${'x'.repeat(2 * 1024 * 1024)}`;
    const [refused] = await Promise.all([graphqlFrom('127.0.0.21', huge), meFromNormalClient()]);
    expect({ status: refused.status, ...errorOf(refused) }).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE', reason: 'request:too_large' });
  });
});

describe('each operation limit, on both sides', () => {
  const client = '127.0.0.25';
  // `tN: __typename` is three tokens and costs 1; aliases of __typename are not counted (graphql-armor's allow-list).
  const typenames = (count: number, extra = '') => `{ ${Array.from({ length: count }, (_, i) => `t${i}: __typename`).join(' ')} ${extra} }`;
  const answered = (answer: LoopbackAnswer) => {
    expect({ status: answer.status, errors: answer.body?.errors }).toEqual({ status: 200, errors: undefined });
  };

  it('tokens: 2,000 pass, 2,001 are refused', async () => {
    answered(await graphqlFrom(client, typenames(666))); // 666 × 3 tokens and two braces
    expectRefused(await graphqlFrom(client, typenames(666, '__typename')), 'tokens');
  });

  it('depth: 10 levels pass, 11 are refused', async () => {
    answered(await graphqlFrom(client, deepQuery(10)));
    expectRefused(await graphqlFrom(client, deepQuery(11)), 'depth');
  });

  it('aliases: 15 pass, 16 are refused', async () => {
    const aliased = (count: number) => `{ ${Array.from({ length: count }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
    answered(await graphqlFrom(client, aliased(15)));
    expectRefused(await graphqlFrom(client, aliased(16)), 'aliases');
  });

  it('directives: 20 pass, 21 are refused', async () => {
    const directed = (count: number) => `{ ${Array.from({ length: count }, () => '__typename @include(if: true)').join(' ')} }`;
    answered(await graphqlFrom(client, directed(20)));
    expectRefused(await graphqlFrom(client, directed(21)), 'directives');
  });

  it('estimated cost: at GRAPHQL_MAX_COST passes, one more is refused (each aliased __typename costs 1)', async () => {
    const gateway = await startInProcessGateway({ GRAPHQL_MAX_COST: '500' });
    try {
      expect(await gateway.send({ query: typenames(500) })).toMatchObject({ status: 200, body: { data: { t499: 'Query' } } });
      const refused = await gateway.send({ query: typenames(501) });
      expect({ status: refused.status, ...refused.body.errors?.[0]?.extensions }).toMatchObject({ status: 400, code: 'QUERY_TOO_COMPLEX', reason: 'graphql:limit_cost' });
    } finally {
      await gateway.stop();
    }
  });
});

describe('requests per client on /graphql', () => {
  it(`answers ${RATE_LIMIT} requests of one client, refuses the next with 429 however X-Forwarded-For is forged, and still answers another client`, async () => {
    const client = '127.0.0.30';
    for (let n = 0; n < RATE_LIMIT; n += 1) {
      expect((await graphqlFrom(client, '{ __typename }', { 'x-forwarded-for': `198.51.100.${n}` })).status).toBe(200);
    }
    const refused = await graphqlFrom(client, '{ __typename }', { 'x-forwarded-for': '198.51.100.200' });
    expect({ status: refused.status, ...errorOf(refused) }).toMatchObject({ status: 429, code: 'RATE_LIMITED', reason: 'rate_limit:exceeded' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await graphqlFrom('127.0.0.31', '{ __typename }')).status).toBe(200);
  });
});

describe('the persisted-operation allow-list (GRAPHQL_PERSISTED_ONLY)', () => {
  let gateway: Awaited<ReturnType<typeof startInProcessGateway>>;
  const listed = 'query Me { me { id } }';
  const hash = (text: string) => createHash('sha256').update(text).digest('hex');

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'persisted-'));
    const manifest = join(dir, 'operations.json');
    await writeFile(
      manifest,
      JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: hash(listed), name: 'Me', type: 'query', body: listed }] }),
    );
    gateway = await startInProcessGateway({ GRAPHQL_PERSISTED_OPERATIONS: manifest, GRAPHQL_PERSISTED_ONLY: 'true' });
  });
  afterAll(() => gateway?.stop());

  it('plans every listed operation at start: its first request finds the plan ready', async () => {
    const lookups = async () => {
      const { values } = await gateway.metrics.queryPlanCacheLookups.get();
      const count = (result: string) => values.find((value) => value.labels.result === result)?.value ?? 0;
      return { hit: count('hit'), miss: count('miss') };
    };
    const before = await lookups();
    expect((await gateway.send({ query: listed, operationName: 'Me' })).status).toBe(200);
    expect(await lookups()).toEqual({ hit: before.hit + 1, miss: before.miss });
  });

  it('serves a listed operation by its hash alone and by its text', async () => {
    for (const body of [{ extensions: { persistedQuery: { version: 1, sha256Hash: hash(listed) } } }, { query: listed }]) {
      const answer = await gateway.send(body);
      expect(answer.status).toBe(200);
      expect(answer.body.data).toEqual({ me: { id: expect.any(String) } });
    }
  });

  it('refuses any other operation, by text or by an unknown hash, before parsing it', async () => {
    for (const body of [{ query: '{ me { id } }' }, { extensions: { persistedQuery: { version: 1, sha256Hash: hash('{ me { email } }') } } }]) {
      const answer = await gateway.send(body);
      expect({ status: answer.status, ...answer.body.errors?.[0]?.extensions }).toMatchObject({
        status: 400,
        code: 'PERSISTED_QUERY_NOT_IN_LIST',
        reason: 'graphql:operation_not_allowlisted',
      });
    }
  });
});
