import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createInternalTokenSigner, createInternalTokenVerifier } from '@malet/internal-auth';
import { createLogger } from '@malet/logging';
import { createTestDatabase, freePort } from '@malet/testing';
import { consumeEventOnce, createOutboxRelay, enqueueEvent, outbox, processedEvents } from '../src/index';

const SECRET = 's'.repeat(48);
const TABLES = `
  create table outbox (id uuid primary key default gen_random_uuid(), topic text not null, payload jsonb not null,
    created_at timestamptz not null default now(), attempts integer not null default 0,
    next_attempt_at timestamptz not null default now(), delivered_at timestamptz, last_error text);
  create table processed_events (event_id uuid primary key, topic text not null, processed_at timestamptz not null default now());
  create table applied (event_id uuid not null);`;

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;
let db: ReturnType<typeof drizzle>;

beforeAll(async () => {
  database = await createTestDatabase(inject('postgresAdminUrl'), 'outbox');
  pool = new pg.Pool({ connectionString: database.url });
  await pool.query(TABLES);
  db = drizzle(pool);
});
afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

/** A consumer that applies each event through the inbox and records the effect. */
function startConsumer(port: number): Promise<Server> {
  const verify = createInternalTokenVerifier({ secret: SECRET });
  const server = createServer(async (req, res) => {
    try {
      await verify(req.headers['x-internal-token'] as string);
      let body = '';
      for await (const chunk of req) body += chunk;
      const event = JSON.parse(body) as { id: string; topic: string };
      await consumeEventOnce(db, event, (tx) => tx.execute(`insert into applied values ('${event.id}')`).then(() => undefined));
      res.writeHead(200).end('{}');
    } catch {
      res.writeHead(401).end();
    }
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

describe('outbox relay', () => {
  it('retries with backoff while the consumer is down, then delivers; redelivery applies once', async () => {
    const port = await freePort();
    const relay = createOutboxRelay({
      db,
      subscribers: [{ name: 'consumer', url: `http://127.0.0.1:${port}/events`, topics: ['thing.happened'] }],
      signInternalToken: createInternalTokenSigner({ secret: SECRET, issuer: 'auth' }),
      logger: createLogger({ service: 'test', level: 'silent' }),
      timeoutMs: 1_000,
    });
    const id = await db.transaction((tx) => enqueueEvent(tx, 'thing.happened', { n: 1 }));

    await relay.flush();
    let [row] = await db.select().from(outbox);
    expect(row).toMatchObject({ id, attempts: 1, deliveredAt: null });
    expect(row!.lastError).toBeTruthy();
    expect(row!.nextAttemptAt.getTime()).toBeGreaterThan(Date.now());

    // Not due yet: a pass leaves it alone.
    await relay.flush();
    [row] = await db.select().from(outbox);
    expect(row!.attempts).toBe(1);

    const server = await startConsumer(port);
    try {
      await pool.query('update outbox set next_attempt_at = now()');
      await relay.flush();
      [row] = await db.select().from(outbox);
      expect(row!.deliveredAt).not.toBeNull();

      // At-least-once: a second delivery of the same event is absorbed by the inbox.
      await pool.query('update outbox set delivered_at = null');
      await relay.flush();
      const applied = await pool.query('select count(*)::int as n from applied where event_id = $1', [id]);
      expect(applied.rows[0].n).toBe(1);
      expect((await db.select().from(processedEvents)).map((event) => event.eventId)).toEqual([id]);
    } finally {
      await relay.stop();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('only writes the event when the surrounding transaction commits', async () => {
    await expect(
      db.transaction(async (tx) => {
        await enqueueEvent(tx, 'thing.happened', { n: randomUUID() });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    const { rows } = await pool.query(`select count(*)::int as n from outbox where payload->>'n' <> '1'`);
    expect(rows[0].n).toBe(0);
  });
});
