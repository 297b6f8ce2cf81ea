import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@malet/testing';
import { expectNoOutboxEventLost } from '../support/outbox-check';
import { recordsBetween, summarize } from '../support/load';
import { expectAllOk, startFaultSuite, type FaultSuite } from './fault-suite';

let faults: FaultSuite;
beforeAll(async () => {
  // A hung content-feed must show as 504s on its feeds within the phase.
  faults = await startFaultSuite({ env: { gateway: { PROXY_TIMEOUT_MS: '3000' } } });
}, 240_000);
afterAll(() => faults?.stop());

describe('under load: a subgraph killed, then one hung', () => {
  it('answers partial data naming the subgraph, never hangs, recovers by itself, and loses no outbox event', async () => {
    const { suite, operations } = faults;
    const load = faults.startLoad();
    await load.waitForRequests(40);
    const healthyUntil = Date.now();

    // users is also the consumer of auth's outbox: while it is dead, sign-ups pile up events.
    await suite.kill('users');
    const killedAt = Date.now();
    await load.waitForRequests(60);
    await suite.restart('users');
    const usersBackAt = Date.now();
    await waitFor(() => load.records.some((r) => r.at > usersBackAt && r.op === 'graphql-me' && r.ok), { timeoutMs: 30_000, what: 'GraphQL to heal after users returns' });

    suite.pause('content-feed');
    const hungAt = Date.now();
    await load.waitForRequests(40);
    suite.resume('content-feed');
    const resumedAt = Date.now();
    await waitFor(() => load.records.some((r) => r.at > resumedAt && r.op === 'graphql-me' && r.ok), { timeoutMs: 30_000, what: 'GraphQL to heal after content-feed resumes' });
    const healedAt = Date.now();
    await load.waitForRequests(40);
    const records = await load.stop();
    const seen = summarize(records);

    expect(recordsBetween(records, 0, healthyUntil).every((r) => r.ok), JSON.stringify(seen)).toBe(true);

    const usersDown = recordsBetween(records, killedAt, usersBackAt);
    // Auth keeps taking sign-ups (their events wait in the outbox); feeds do not need users.
    expect(usersDown.filter((r) => r.op === 'sign-up').every((r) => r.status === 201), JSON.stringify(seen)).toBe(true);
    expect(usersDown.filter((r) => r.op === 'feed').every((r) => r.status === 200), JSON.stringify(seen)).toBe(true);
    // GraphQL answers 200 with the users part missing and named, never a 5xx or INTERNAL_SERVER_ERROR.
    const usersGraphql = usersDown.filter((r) => r.op === 'graphql-me');
    expect(usersGraphql.length).toBeGreaterThan(0);
    expect(usersGraphql.every((r) => r.status === 200 && (r.ok || r.code === 'SUBGRAPH_UNAVAILABLE')), JSON.stringify(seen)).toBe(true);
    expect(usersGraphql.some((r) => r.code === 'SUBGRAPH_UNAVAILABLE')).toBe(true);

    const feedHung = recordsBetween(records, hungAt, resumedAt);
    const hungGraphql = feedHung.filter((r) => r.op === 'graphql-me');
    expect(hungGraphql.every((r) => r.status === 200 && (r.ok || r.code === 'SUBGRAPH_UNAVAILABLE')), JSON.stringify(seen)).toBe(true);
    expect(hungGraphql.some((r) => r.code === 'SUBGRAPH_UNAVAILABLE')).toBe(true);
    // The proxied feed of a hung content-feed ends with a 504 after PROXY_TIMEOUT_MS, not a hang.
    expect(feedHung.filter((r) => r.op === 'feed').every((r) => r.status === 200 || r.status === 504), JSON.stringify(seen)).toBe(true);
    expect(feedHung.some((r) => r.op === 'feed' && r.status === 504)).toBe(true);
    expect(feedHung.filter((r) => r.op === 'sign-up').every((r) => r.status === 201), JSON.stringify(seen)).toBe(true);

    // Healed: everything answers fully again, without restarting the gateway.
    expectAllOk(recordsBetween(records, healedAt));

    await expectNoOutboxEventLost(suite.databaseUrls, operations.signedUp);
  }, 240_000);
});
