import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpCatcher, waitFor, type SmtpCatcher } from '@malet/testing';
import { expectNoOutboxEventLost } from '../support/outbox-check';
import { recordsBetween, summarize } from '../support/load';
import { expectAllOk, startFaultSuite, type FaultSuite } from './fault-suite';

let faults: FaultSuite;
let returned: SmtpCatcher | undefined;
beforeAll(async () => {
  faults = await startFaultSuite();
}, 240_000);
afterAll(async () => {
  await returned?.stop();
  await faults?.stop();
});

describe('under load: SMTP down', () => {
  it('answers every request while SMTP is away, queues the mail, delivers all of it when SMTP returns, and loses no outbox event', async () => {
    const { suite, operations, smtp } = faults;
    const load = faults.startLoad();
    await load.waitForRequests(30);

    await smtp.stop();
    const downAt = Date.now();
    // A sign-in code requested while no SMTP server listens: answered, not a 503, since the
    // mail waits in auth's queue instead of in the request.
    const email = `smtp-down-${randomBytes(4).toString('hex')}@example.com`;
    const started = await fetch(`${suite.gatewayUrl}/auth/email/login/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email }),
    });
    expect(started.status).toBe(200);
    await load.waitForRequests(40);
    const upAt = Date.now();

    returned = await startSmtpCatcher({ port: smtp.port });
    await load.waitForRequests(20);
    const records = await load.stop();
    const seen = JSON.stringify(summarize(records));
    const duringOutage = recordsBetween(records, downAt, upAt).filter((r) => r.op === 'sign-up');
    expect(duringOutage.length, seen).toBeGreaterThan(0);
    expectAllOk(records);

    // Every sign-up, before, during and after the outage, gets its verification mail exactly once.
    const caught = () => [...smtp.messages, ...returned!.messages];
    const verifications = (address: string) => caught().filter((m) => m.to.includes(address) && /Verify your/.test(m.subject));
    await waitFor(() => operations.signedUp.every((address) => verifications(address).length > 0), {
      timeoutMs: 90_000,
      what: 'a verification mail for every sign-up',
    });
    expect(operations.signedUp.filter((address) => verifications(address).length !== 1)).toEqual([]);

    // The code queued during the outage arrives, and signs in.
    const mail = await returned.waitForMail(email, (m) => /sign-in code/.test(m.subject), 90_000);
    const code = /\b(\d{6})\b/.exec(mail.text)![1];
    const finished = await fetch(`${suite.gatewayUrl}/auth/email/login/finish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, code }),
    });
    expect(finished.status).toBe(200);

    await expectNoOutboxEventLost(suite.databaseUrls, operations.signedUp);
  }, 300_000);
});
