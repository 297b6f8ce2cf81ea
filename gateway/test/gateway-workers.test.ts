import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@malet/testing';
import { startGatewayTestInstance, type GatewayTestInstance } from './gateway-test-instance';

/** Pids of the node processes whose parent is `pid` (tsx also starts an esbuild helper: not a worker). */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['--ppid', String(pid), '-o', 'pid=,comm='])
      .toString()
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter(([child, command]) => child && command === 'node')
      .map(([child]) => Number(child));
  } catch {
    return [];
  }
}

describe('GATEWAY_WORKERS=2: one gateway process per core behind one port', () => {
  let suite: GatewayTestInstance;

  beforeAll(async () => {
    suite = await startGatewayTestInstance({ env: { gateway: { GATEWAY_WORKERS: '2' } } });
  }, 180_000);

  afterAll(async () => {
    await suite?.stop();
  });

  it('forks two workers behind the one port, and authenticated queries are answered there', async () => {
    const primary = suite.process('gateway-0').child.pid!;
    await waitFor(async () => childrenOf(primary).length === 2, { timeoutMs: 30_000, intervalMs: 100, what: 'two workers' });
    const { token, user } = await suite.devToken();
    // Many requests over fresh connections: the primary hands connections to both workers.
    const answers = await Promise.all(Array.from({ length: 20 }, () => suite.graphql<{ me: { id: string } }>('{ me { id } }', { token, headers: { connection: 'close' } })));
    expect(answers.map((answer) => answer.data?.me.id)).toEqual(Array.from({ length: 20 }, () => user.id));
  });

  it('replaces a worker that dies, and keeps answering meanwhile', async () => {
    const primary = suite.process('gateway-0').child.pid!;
    const [victim] = childrenOf(primary);
    const gateway = suite.process('gateway-0');
    process.kill(victim!, 'SIGKILL');
    // Once the primary has seen the death: a connection it handed to the dying worker before
    // that would be lost with the worker, which is the kill itself, not the survivor's answer.
    await waitFor(async () => gateway.output().includes('gateway worker exited'), { timeoutMs: 30_000, intervalMs: 20, what: 'the primary to see the worker exit' });
    const { status } = await suite.graphql('{ __typename }');
    expect(status).toBe(200);
    await waitFor(async () => childrenOf(primary).length === 2 && !childrenOf(primary).includes(victim!), {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: 'a new worker in place of the killed one',
    });
  });

  it('stops every worker when the primary gets SIGTERM', async () => {
    const gateway = suite.process('gateway-0');
    const workers = childrenOf(gateway.child.pid!);
    expect(workers).toHaveLength(2);
    const code = await gateway.stop('SIGTERM');
    expect(code).toBe(0);
    const alive = workers.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
  });
});

describe('GATEWAY_WORKERS=2 without Redis: every worker follows auth\'s revocation stream and applies the GraphQL limits', () => {
  let suite: GatewayTestInstance;
  /** Requests over fresh connections: the cluster primary hands connections to the workers in turn. */
  const FRESH_CONNECTIONS = 20;

  beforeAll(async () => {
    // A long cache TTL, so only the revocation stream (no Redis here) can make a worker refuse a cached token.
    suite = await startGatewayTestInstance({
      redis: false,
      env: { auth: { REVOCATION_STREAM_HEARTBEAT_MS: '200' }, gateway: { GATEWAY_WORKERS: '2', SESSION_CACHE_TTL_MS: '600000', GRAPHQL_MAX_ALIASES: '1' } },
    });
    const primary = suite.process('gateway-0').child.pid!;
    await waitFor(async () => childrenOf(primary).length === 2, { timeoutMs: 30_000, intervalMs: 100, what: 'two workers' });
  }, 180_000);

  afterAll(async () => {
    await suite?.stop();
  });

  const onFreshConnections = (query: string, token?: string) =>
    Promise.all(Array.from({ length: FRESH_CONNECTIONS }, () => suite.graphql<{ me: { id: string } | null }>(query, { ...(token ? { token } : {}), headers: { connection: 'close' } })));

  it('refuses a token logged out straight at auth in every worker, though each had it cached', async () => {
    const { token, user } = await suite.devToken('user@example.com');
    // Twice over: the second round is answered from each worker's warm cache.
    for (let round = 0; round < 2; round += 1) expect((await onFreshConnections('{ me { id } }', token)).map((answer) => answer.data?.me?.id)).toEqual(Array(FRESH_CONNECTIONS).fill(user.id));
    const logout = await fetch(`${suite.urls.auth}/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(logout.status).toBe(200);
    await waitFor(
      async () => (await onFreshConnections('{ me { id } }', token)).every((answer) => answer.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED'),
      { timeoutMs: 10_000, intervalMs: 50, what: 'every worker to refuse the revoked token' },
    );
  });

  it('answers an operation at the alias limit and refuses one past it in every worker', async () => {
    // Aliases of __typename are not counted (graphql-armor's allow-list); anonymous `me` is null.
    const atLimit = await onFreshConnections('{ a: me { id } }');
    expect(atLimit.map((answer) => [answer.status, answer.data])).toEqual(Array(FRESH_CONNECTIONS).fill([200, { a: null }]));
    const pastLimit = await onFreshConnections('{ a: me { id } b: me { id } }');
    expect(pastLimit.map((answer) => [answer.status, answer.errors?.[0]?.extensions?.code])).toEqual(Array(FRESH_CONNECTIONS).fill([400, 'QUERY_TOO_COMPLEX']));
  });
});
