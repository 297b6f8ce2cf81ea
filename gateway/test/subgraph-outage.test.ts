import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@malet/testing';
import { startGatewayTestInstance, type GatewayTestInstance } from './gateway-test-instance';

type Subgraphs = Record<string, { circuit: string; requests: { ok: number; error: number }; failures: Record<string, number> }>;

let suite: GatewayTestInstance;
let token: string;
let userId: string;

beforeAll(async () => {
  suite = await startGatewayTestInstance({
    env: { gateway: { SUBGRAPH_TIMEOUT_MS: '1000', SUBGRAPH_CIRCUIT_FAILURES: '3', SUBGRAPH_CIRCUIT_RESET_MS: '1000' } },
  });
  ({ token, user: { id: userId } } = await suite.devToken('user@example.com'));
});
afterAll(() => suite?.stop());

const subgraphs = async () => ((await (await fetch(`${suite.gatewayUrl}/admin/metrics`)).json()) as { subgraphs: Subgraphs }).subgraphs;

describe('the gateway degrades instead of hanging when a subgraph fails', () => {
  it('answers a hung subgraph\'s fields with null and SUBGRAPH_UNAVAILABLE (timeout), keeping what auth resolved', async () => {
    suite.pause('users');
    try {
      const result = await suite.graphql('{ me { id email username } }', { token });
      expect(result.status).toBe(200);
      expect(result.data).toEqual({ me: { id: userId, email: 'user@example.com', username: null } });
      expect(result.errors).toHaveLength(1);
      expect(result.errors![0]).toMatchObject({
        path: ['me'],
        extensions: { code: 'SUBGRAPH_UNAVAILABLE', reason: 'gateway:subgraph_timeout', subgraph: 'users' },
      });
      expect(result.errors![0]!.message).toContain('users');
    } finally {
      suite.resume('users');
    }
    const healed = await suite.graphql('{ me { id username } }', { token });
    expect(healed.errors).toBeUndefined();
    expect(healed.data).toEqual({ me: { id: userId, username: 'user' } });
  });

  it('opens the circuit after consecutive failures (refused at once, shown in admin metrics), and closes it when the subgraph is back', async () => {
    expect((await subgraphs()).users!.circuit).toBe('closed');
    await suite.kill('users');
    const reasons: string[] = [];
    for (let attempt = 0; attempt < 4; attempt += 1) {
      const result = await suite.graphql<{ me: { email: string; username: string | null } }>('{ me { email username } }', { token });
      expect(result.data?.me).toEqual({ email: 'user@example.com', username: null });
      reasons.push(String(result.errors?.[0]?.extensions?.reason));
    }
    // Three failures open it (SUBGRAPH_CIRCUIT_FAILURES=3); the fourth is not even attempted.
    expect(reasons).toEqual(['gateway:subgraph_unreachable', 'gateway:subgraph_unreachable', 'gateway:subgraph_unreachable', 'gateway:subgraph_circuit_open']);
    const open = await subgraphs();
    expect(open.users).toMatchObject({ circuit: 'open', failures: { unreachable: 3, circuit_open: 1 } });
    expect(open.auth!.circuit).toBe('closed');
    const prometheus = await (await fetch(`${suite.gatewayUrl}/admin/metrics/prometheus`)).text();
    expect(prometheus).toMatch(/gateway_subgraph_circuit_state\{subgraph="users",service="gateway"\} 2/);

    await suite.restart('users');
    // After the reset period one trial request goes through; its success closes the circuit.
    const healed = await waitFor(
      async () => {
        const result = await suite.graphql<{ me: { username: string | null } }>('{ me { username } }', { token });
        return result.errors === undefined && result.data?.me.username === 'user' ? result : null;
      },
      { timeoutMs: 20_000, intervalMs: 200, what: 'the users circuit to close' },
    );
    expect(healed.data?.me.username).toBe('user');
    expect((await subgraphs()).users!.circuit).toBe('closed');
  });

  it('keeps auth, users and organizations fields when content-feed is down: only malets is null', async () => {
    await suite.kill('content-feed');
    try {
      const result = await suite.graphql('{ me { id email username organizations { slug } malets { handle } } }', { token });
      expect(result.data).toEqual({ me: { id: userId, email: 'user@example.com', username: 'user', organizations: [], malets: null } });
      expect(result.errors).toEqual([
        expect.objectContaining({ path: ['me'], extensions: expect.objectContaining({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'content-feed' }) }),
      ]);
    } finally {
      await suite.restart('content-feed');
    }
  });

  it('reports a subgraph\'s 413 as PAYLOAD_TOO_LARGE with its code, not as a server error; just under the limit passes', async () => {
    const mutation = 'mutation ($name: String) { updateMyProfile(displayName: $name) { username } }';
    // The subgraph takes bodies up to 100 kB; the gateway up to 1 MB, so this reaches users and is refused there.
    const tooLarge = await suite.graphql(mutation, { token, variables: { name: 'x'.repeat(150_000) } });
    expect(tooLarge.errors?.[0]?.extensions).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', reason: 'request:too_large', status: 413, subgraph: 'users' });
    // Under the limit, the subgraph answers for itself (a display name is at most 100 characters).
    const tooLong = await suite.graphql(mutation, { token, variables: { name: 'x'.repeat(90_000) } });
    expect(tooLong.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await subgraphs()).users!.circuit).toBe('closed');
  });
});
