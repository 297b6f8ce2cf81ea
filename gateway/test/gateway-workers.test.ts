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
    process.kill(victim!, 'SIGKILL');
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
