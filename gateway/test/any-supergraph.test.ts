import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startNodeProcess, waitForReady, type ManagedProcess } from '@malet/testing';
import { startMockSubgraphs, type MockSubgraphs } from '../../bench/federation/mock-subgraphs';
import { startGatewayTestInstance, type GatewayTestInstance } from './gateway-test-instance';

const root = resolve(import.meta.dirname, '../..');
const workload = join(root, 'bench/federation');
const QUERY = readFileSync(join(workload, 'test-query.graphql'), 'utf8');
const EXPECTED = JSON.parse(readFileSync(join(workload, 'expected-response.json'), 'utf8')) as unknown;
const normal = (value: unknown) => JSON.stringify(value);

/**
 * The gateway serves any supergraph: the public federation benchmark's (four subgraphs that are
 * not ours, played by @apollo/subgraph servers), with sessions still validated at our auth.
 */
describe('a gateway started on another supergraph (SUPERGRAPH_PATH)', () => {
  let mocks: MockSubgraphs;
  let suite: GatewayTestInstance;
  const scratch = mkdtempSync(join(tmpdir(), 'malet-supergraph-'));
  const extra: ManagedProcess[] = [];

  /** Another gateway process beside the suite's, talking to the suite's auth. */
  async function startGateway(env: Record<string, string>) {
    const url = `http://127.0.0.1:${await freePort()}`;
    const gateway = startNodeProcess({
      name: 'gateway-extra',
      entry: 'gateway/src/main.ts',
      cwd: root,
      env: { NODE_ENV: 'test', LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: new URL(url).port, AUTH_URL: suite.urls.auth, INTERNAL_TOKEN_SECRET: suite.internalTokenSecret, ...env },
    });
    extra.push(gateway);
    return { url, gateway };
  }

  beforeAll(async () => {
    mocks = await startMockSubgraphs();
    const overrides = Object.entries(mocks.urls).map(([name, url]) => `${name}=${url}`);
    suite = await startGatewayTestInstance({
      env: { gateway: { SUPERGRAPH_PATH: join(workload, 'supergraph.graphql'), SUBGRAPH_URLS: overrides.join(',') } },
    });
  }, 180_000);

  afterAll(async () => {
    await Promise.all(extra.map((process) => process.stop()));
    await suite?.stop();
    await mocks?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('answers the benchmark query exactly as expected for a valid session, the subgraphs at the URLs SUBGRAPH_URLS names', async () => {
    const { token } = await suite.devToken();
    mocks.reset();
    const { status, ...body } = await suite.graphql(QUERY, { token });
    expect(status).toBe(200);
    expect(normal({ data: body.data })).toBe(normal(EXPECTED));
    expect(body.errors).toBeUndefined();
    // Entity batching: 16 fetches in Apollo's plan, 8 requests (see query-plan-levels.ts).
    expect(Object.values(mocks.counts().requests).reduce((sum, count) => sum + count, 0)).toBe(8);
  });

  it('still validates the session on every request: a token auth does not know is refused', async () => {
    mocks.reset();
    const { status, errors } = await suite.graphql(QUERY, { token: 'sess_not-a-session-anyone-was-given-0000000000' });
    expect(status).toBe(401);
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'auth:invalid_session' });
    expect(mocks.counts().requests).toEqual({ accounts: 0, inventory: 0, products: 0, reviews: 0 });
  });

  it('sends each subgraph to the URL in the supergraph when no override names it, and one override to its own', async () => {
    // A second set of subgraphs: the supergraph's URLs point at it, while SUBGRAPH_URLS moves reviews alone.
    const named = await startMockSubgraphs();
    try {
      let sdl = readFileSync(join(workload, 'supergraph.graphql'), 'utf8');
      for (const [name, url] of Object.entries(named.urls)) sdl = sdl.replace(new RegExp(`(name: "${name}", url: ")[^"]*`), `$1${url}`);
      const path = join(scratch, 'supergraph.graphql');
      writeFileSync(path, sdl);
      const { url, gateway } = await startGateway({ SUPERGRAPH_PATH: path, SUBGRAPH_URLS: `reviews=${mocks.urls.reviews}` });
      await waitForReady(gateway, `${url}/ready`);
      mocks.reset();
      const { status, ...body } = await suite.graphql(QUERY, { url });
      expect(status).toBe(200);
      expect(normal({ data: body.data })).toBe(normal(EXPECTED));
      const { accounts, inventory, products, reviews } = named.counts().requests;
      expect({ accounts: accounts > 0, inventory: inventory > 0, products: products > 0, reviews }).toEqual({ accounts: true, inventory: true, products: true, reviews: 0 });
      expect(mocks.counts().requests).toMatchObject({ accounts: 0, inventory: 0, products: 0 });
      expect(mocks.counts().requests.reviews).toBeGreaterThan(0);
    } finally {
      await named.close();
    }
  });

  it('answers the rest when a batched subgraph is unreachable, with the same errors as without batching', async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}/graphql`;
    const others = Object.entries(mocks.urls).filter(([name]) => name !== 'inventory');
    const env = {
      SUPERGRAPH_PATH: join(workload, 'supergraph.graphql'),
      SUBGRAPH_URLS: [...others.map(([name, target]) => `${name}=${target}`), `inventory=${nowhere}`].join(','),
      SUBGRAPH_CIRCUIT_FAILURES: '1000',
    };
    const batched = await startGateway(env);
    const alone = await startGateway({ ...env, SUBGRAPH_ENTITY_BATCHING: 'false' });
    await waitForReady(batched.gateway, `${batched.url}/ready`);
    await waitForReady(alone.gateway, `${alone.url}/ready`);
    const [withBatching, withoutBatching] = [await suite.graphql(QUERY, { url: batched.url }), await suite.graphql(QUERY, { url: alone.url })];
    expect(withBatching.status).toBe(200);
    // Every inventory field is null; everything the other subgraphs resolved is there as expected.
    const withoutInventory = JSON.parse(JSON.stringify(EXPECTED), (key, value: unknown) => (key === 'inStock' || key === 'shippingEstimate' ? null : value)) as { data: unknown };
    expect(normal({ data: withBatching.data })).toBe(normal(withoutInventory));
    for (const error of withBatching.errors ?? []) {
      expect(error.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', reason: 'gateway:subgraph_unreachable', subgraph: 'inventory' });
    }
    // A merged request fails once, but each fetch it carried reports its error at its own place, as unbatched fetches do.
    const sorted = (errors: unknown[] | undefined) => (errors ?? []).map((error) => JSON.stringify(error)).sort();
    expect(sorted(withBatching.errors)).toEqual(sorted(withoutBatching.errors));
    expect(withBatching.errors?.length).toBeGreaterThan(1);
    expect(normal(withBatching.data)).toBe(normal(withoutBatching.data));
  });

  it('refuses to start when SUBGRAPH_URLS names a subgraph the supergraph does not have, naming it', async () => {
    const { gateway } = await startGateway({ SUPERGRAPH_PATH: join(workload, 'supergraph.graphql'), SUBGRAPH_URLS: 'acounts=http://127.0.0.1:9/graphql' });
    const code = await new Promise<number | null>((resolveExit) => gateway.child.once('exit', resolveExit));
    expect(code).not.toBe(0);
    expect(gateway.output()).toContain('SUBGRAPH_URLS names acounts, which the supergraph does not have');
  });

  it('refuses a SUPERGRAPH_PATH that names no file, and a malformed SUBGRAPH_URLS, naming the variable', async () => {
    const missing = await startGateway({ SUPERGRAPH_PATH: join(scratch, 'nope.graphql') });
    const malformed = await startGateway({ SUBGRAPH_URLS: 'accounts:http://127.0.0.1:9' });
    await Promise.all([missing, malformed].map(({ gateway }) => new Promise((resolveExit) => gateway.child.once('exit', resolveExit))));
    expect(missing.gateway.output()).toContain('SUPERGRAPH_PATH: must name an existing file');
    expect(malformed.gateway.output()).toContain('SUBGRAPH_URLS: must be name=http(s)-URL pairs separated by commas');
  });
});
