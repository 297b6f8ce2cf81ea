import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createLogger } from '@malet/logging';
import { createTestDatabase, freePort, startSmtpCatcher } from '@malet/testing';
import { createMailRelay, createSmtpSender, enqueueMail, mailOutbox } from '../src/index';

// The table as `mailOutbox` declares it (in a service, its Drizzle migrations create it).
const TABLE = `
  create table mail_outbox (id uuid primary key default gen_random_uuid(), "to" text not null, subject text not null,
    text text not null, html text, created_at timestamptz not null default now(), attempts integer not null default 0,
    next_attempt_at timestamptz not null default now(), sent_at timestamptz, last_error text);`;

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;
let db: ReturnType<typeof drizzle>;
const logger = createLogger({ service: 'test', level: 'silent' });

beforeAll(async () => {
  database = await createTestDatabase(inject('postgresAdminUrl'), 'mail_outbox');
  pool = new pg.Pool({ connectionString: database.url });
  await pool.query(TABLE);
  db = drizzle(pool);
});
beforeEach(() => pool.query('delete from mail_outbox'));
afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

const mail = (n: number) => ({ to: `reader-${n}@example.com`, subject: `Message ${n}`, text: `Body ${n}: your code is 12345${n}` });

describe('mail outbox', () => {
  it('queues mail while SMTP is down (no request waits on it), retries, and delivers every message once when SMTP returns', async () => {
    const port = await freePort();
    const sender = createSmtpSender({ smtpUrl: `smtp://127.0.0.1:${port}`, from: 'Malet <no-reply@malet.localhost>' });
    const relay = createMailRelay({ db, send: sender, logger, retryBaseMs: 50 });
    try {
      // Nothing listens on the port: queueing still succeeds, because it never touches SMTP.
      const ids = [];
      for (let n = 0; n < 3; n += 1) ids.push(await enqueueMail(db, mail(n)));
      expect(await relay.flush()).toBe(3);
      let rows = await db.select().from(mailOutbox);
      expect(rows.every((row) => row.sentAt === null && row.attempts === 1 && !!row.lastError)).toBe(true);
      expect(rows.every((row) => row.nextAttemptAt.getTime() > Date.now() - 1_000)).toBe(true);

      const smtp = await startSmtpCatcher({ port });
      try {
        await pool.query('update mail_outbox set next_attempt_at = now()');
        await relay.flush();
        rows = await db.select().from(mailOutbox);
        expect(rows.every((row) => row.sentAt !== null && row.attempts === 2 && row.lastError === null)).toBe(true);
        for (let n = 0; n < 3; n += 1) {
          const caught = await smtp.waitForMail(`reader-${n}@example.com`);
          expect(caught).toMatchObject({ subject: `Message ${n}`, from: 'no-reply@malet.localhost' });
          expect(caught.text.trim()).toBe(`Body ${n}: your code is 12345${n}`);
        }
        // Sent rows are never sent again, and keep no body (codes and links) at rest.
        expect(await relay.flush()).toBe(0);
        expect((await db.select().from(mailOutbox).orderBy(mailOutbox.subject)).map((row) => [row.subject, row.text, row.html, row.sentAt !== null])).toEqual(
          [0, 1, 2].map((n) => [`Message ${n}`, '', null, true]),
        );
        expect(smtp.messages).toHaveLength(3);
      } finally {
        await smtp.stop();
      }
    } finally {
      await relay.stop();
      sender.close();
    }
  });

  it('sends each message exactly once with two relays (replicas) working the same table', async () => {
    const smtp = await startSmtpCatcher();
    const senders = [0, 1].map(() => createSmtpSender({ smtpUrl: smtp.url, from: 'no-reply@malet.localhost' }));
    const relays = senders.map((send) => createMailRelay({ db, send, logger, batchSize: 5 }));
    try {
      for (let n = 0; n < 40; n += 1) await enqueueMail(db, mail(n));
      const handled = await Promise.all(relays.map((relay) => relay.flush()));
      expect(handled[0]! + handled[1]!).toBe(40);
      const { rows } = await pool.query<{ unsent: number }>('select count(*) filter (where sent_at is null)::int as unsent from mail_outbox');
      expect(rows[0]!.unsent).toBe(0);
      expect(smtp.messages).toHaveLength(40);
      expect(new Set(smtp.messages.map((message) => message.subject)).size).toBe(40);
    } finally {
      await Promise.all(relays.map((relay) => relay.stop()));
      for (const sender of senders) sender.close();
      await smtp.stop();
    }
  });

  it('queues a message only when the surrounding transaction commits', async () => {
    await expect(
      db.transaction(async (tx) => {
        await enqueueMail(tx, mail(1));
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await db.transaction((tx) => enqueueMail(tx, mail(2)));
    expect((await db.select().from(mailOutbox)).map((row) => row.subject)).toEqual(['Message 2']);
  });

  it('leaves a leased message alone until its lease ends (a relay that died mid-send), then sends it', async () => {
    const smtp = await startSmtpCatcher();
    const sender = createSmtpSender({ smtpUrl: smtp.url, from: 'no-reply@malet.localhost' });
    const relay = createMailRelay({ db, send: sender, logger });
    try {
      await enqueueMail(db, mail(7));
      // As a relay leaves it when it dies after leasing: attempts counted, due in the future.
      await pool.query("update mail_outbox set attempts = 1, next_attempt_at = now() + interval '1 hour'");
      expect(await relay.flush()).toBe(0);
      expect(smtp.messages).toHaveLength(0);
      await pool.query('update mail_outbox set next_attempt_at = now()');
      expect(await relay.flush()).toBe(1);
      expect((await smtp.waitForMail('reader-7@example.com')).subject).toBe('Message 7');
    } finally {
      await relay.stop();
      sender.close();
      await smtp.stop();
    }
  });
});
