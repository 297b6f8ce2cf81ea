import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@malet/testing';
import { expectNoOutboxEventLost } from '../support/outbox-check';
import { recordsBetween, summarize } from '../support/load';
import { expectAllOk, startFaultSuite, type FaultSuite } from './fault-suite';

let faults: FaultSuite;
beforeAll(async () => {
  // No credential cache: every GraphQL request needs auth, so its absence shows at once.
  faults = await startFaultSuite({ env: { gateway: { SESSION_CACHE_TTL_MS: '0' } } });
}, 240_000);
afterAll(() => faults?.stop());

describe('under load: auth killed', () => {
  it('fails closed with clear codes while auth is gone, recovers on its own, and loses no outbox event', async () => {
    const { suite, operations } = faults;
    const load = faults.startLoad();
    await load.waitForRequests(40);

    // Deliveries to a frozen users hang, so auth dies with events written and undelivered,
    // some of them claimed by a relay transaction that the kill cuts short.
    suite.pause('users');
    await load.waitForRequests(30);
    const authDb = new pg.Pool({ connectionString: suite.databaseUrls.auth, max: 1 });
    const undelivered = await waitFor(
      async () => (await authDb.query<{ n: number }>("select count(*)::int as n from outbox where delivered_at is null and topic = 'user.created'")).rows[0]!.n,
      { timeoutMs: 30_000, what: 'undelivered user.created events' },
    );
    await authDb.end();
    expect(undelivered).toBeGreaterThan(0);
    await suite.kill('auth');
    const killedAt = Date.now();
    await load.waitForRequests(40);
    suite.resume('users');
    await suite.restart('auth');
    const backAt = Date.now();
    await waitFor(() => load.records.some((r) => r.at > backAt && r.op === 'graphql-me' && r.ok), { timeoutMs: 30_000, what: 'GraphQL to recover after auth returns' });
    const healedAt = Date.now();
    await load.waitForRequests(40);
    const records = await load.stop();
    const seen = JSON.stringify(summarize(records));

    const down = recordsBetween(records, killedAt, backAt);
    const graphql = down.filter((r) => r.op === 'graphql-me');
    expect(graphql.length).toBeGreaterThan(0);
    // Fail closed: never data for a credential nobody could check, always a stable code: 503
    // SERVICE_UNAVAILABLE from the credential check, or (a request that passed it just before
    // the kill) the auth subgraph's `me` missing with SUBGRAPH_UNAVAILABLE.
    expect(graphql.every((r) => !r.servedData), seen).toBe(true);
    expect(graphql.every((r) => (r.status === 503 && r.code === 'SERVICE_UNAVAILABLE') || (r.status === 200 && r.code === 'SUBGRAPH_UNAVAILABLE')), seen).toBe(true);
    expect(graphql.filter((r) => r.code === 'SERVICE_UNAVAILABLE').length).toBeGreaterThan(graphql.length / 2);
    const proxied = down.filter((r) => r.op === 'sign-up' || (r.op === 'sign-in' && r.code !== 'skipped'));
    expect(proxied.length).toBeGreaterThan(0);
    expect(proxied.every((r) => r.status === 502 && r.code === 'gateway:upstream_unavailable'), seen).toBe(true);
    // What does not need auth keeps working.
    expect(down.filter((r) => r.op === 'feed').every((r) => r.status === 200), seen).toBe(true);

    expectAllOk(recordsBetween(records, healedAt));

    await expectNoOutboxEventLost(suite.databaseUrls, operations.signedUp);
  }, 240_000);
});
