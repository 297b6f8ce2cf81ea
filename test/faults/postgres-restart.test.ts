import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPostgres, waitFor, type TestPostgres } from '@malet/testing';
import { expectNoOutboxEventLost } from '../support/outbox-check';
import { recordsBetween, summarize } from '../support/load';
import { expectAllOk, startFaultSuite, type FaultSuite } from './fault-suite';

let postgres: TestPostgres;
let faults: FaultSuite;
beforeAll(async () => {
  // A PostgreSQL of its own: this test stops and starts it under the running services.
  postgres = await startTestPostgres();
  faults = await startFaultSuite({ postgresAdminUrl: postgres.adminUrl, env: { gateway: { SESSION_CACHE_TTL_MS: '0' } } });
}, 240_000);
afterAll(async () => {
  await faults?.stop();
  await postgres?.stop();
});

describe('under load: PostgreSQL restarted', () => {
  it('answers a clear 503 during the gap (never a 500 or a hang), reconnects every pool by itself, and loses no outbox event', async () => {
    const { suite, operations } = faults;
    const load = faults.startLoad();
    await load.waitForRequests(40);

    await postgres.pause();
    const stoppedAt = Date.now();
    await load.waitForRequests(40);
    await postgres.resume();
    const backAt = Date.now();
    await waitFor(
      () => ['sign-up', 'graphql-me', 'feed'].every((op) => load.records.some((r) => r.at > backAt && r.op === op && r.ok)),
      { timeoutMs: 60_000, what: 'every kind of request to succeed again' },
    );
    const healedAt = Date.now();
    await load.waitForRequests(40);
    const records = await load.stop();
    const seen = JSON.stringify(summarize(records));

    const gap = recordsBetween(records, stoppedAt, backAt);
    const failed = gap.filter((r) => !r.ok && r.code !== 'skipped');
    expect(failed.length, seen).toBeGreaterThan(0);
    // Every failure is a 503 with a code a client can act on (retry), from the service itself
    // (`service:database_unavailable`) or from the gateway's credential check (auth said 503).
    // A GraphQL answer may also be a 200 whose errors carry SERVICE_UNAVAILABLE (a subgraph's
    // resolver met the gap after the credential check passed).
    expect(
      failed.every(
        (r) => (r.status === 503 || (r.op === 'graphql-me' && r.status === 200)) && ['service:database_unavailable', 'SERVICE_UNAVAILABLE'].includes(r.code ?? ''),
      ),
      seen,
    ).toBe(true);
    expect(records.some((r) => r.status >= 500 && r.status !== 503), seen).toBe(false);
    expect(records.some((r) => r.status === 0 && r.code !== 'skipped'), seen).toBe(false);

    expectAllOk(recordsBetween(records, healedAt));

    await expectNoOutboxEventLost(suite.databaseUrls, operations.signedUp);
  }, 240_000);
});
