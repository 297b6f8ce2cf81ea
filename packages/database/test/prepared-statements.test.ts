import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '@malet/testing';
import { createDatabase } from '../src/index';

/**
 * Prepared statements observed where they live: `pg_prepared_statements` lists the statements of
 * the session that reads it, so each test runs on one connection (a pool of one).
 */
let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  database = await createTestDatabase(inject('postgresAdminUrl'), 'prepared_statements');
});
afterAll(() => database.drop());

/** Runs `work` on a database of one connection, closed afterwards, with what that connection has prepared. */
async function onOneConnection(work: (db: ReturnType<typeof createDatabase> & { prepared: () => Promise<string[]> }) => Promise<void>, preparedStatements?: number) {
  const handle = createDatabase({ url: database.url, schema: {}, applicationName: 'prepared-test', maxConnections: 1, ...(preparedStatements === undefined ? {} : { preparedStatements }) });
  /** The named statements of the pool's one connection, by text (read without parameters, so unnamed itself). */
  const prepared = async () => {
    const { rows } = await handle.pool.query<{ statement: string }>("select statement from pg_prepared_statements where name like 'malet_%' order by prepare_time");
    return rows.map((row) => row.statement);
  };
  try {
    await work({ ...handle, prepared });
  } finally {
    await handle.close();
  }
}

const lookup = (n: number) => sql`select ${n}::int + 1 as next`;

describe('statements a connection runs again are prepared once', () => {
  it('prepares a parameterised text on first use and reuses it with new values, answering as before', () =>
    onOneConnection(async (db) => {
      expect((await db.db.execute(lookup(1))).rows).toEqual([{ next: 2 }]);
      expect((await db.db.execute(lookup(41))).rows).toEqual([{ next: 42 }]);
      expect(await db.prepared()).toEqual(['select $1::int + 1 as next']);
    }));

  it('leaves texts without parameters unnamed (DDL, migrations, pings)', () =>
    onOneConnection(async (db) => {
      await db.db.execute(sql`select 1 as one`);
      await db.ping();
      expect(await db.prepared()).toEqual([]);
    }));

  it('leaves a statement that already has a name (a drizzle `.prepare(name)` query) under that name', () =>
    onOneConnection(async (db) => {
      for (const n of [1, 2]) expect((await db.pool.query({ name: 'own_name', text: 'select $1::int * 10 as n', values: [n] })).rows).toEqual([{ n: n * 10 }]);
      const { rows } = await db.pool.query<{ name: string; statement: string }>('select name, statement from pg_prepared_statements');
      expect(rows).toEqual([{ name: 'own_name', statement: 'select $1::int * 10 as n' }]);
    }));

  it('keeps at most `capacity` statements, dropping the least recently used from the server', () =>
    onOneConnection(async (db) => {
      const texts = ['select $1::int as a', 'select $1::int as b', 'select $1::int as c'];
      await db.pool.query(texts[0]!, [1]);
      await db.pool.query(texts[1]!, [1]);
      expect(await db.prepared()).toEqual([texts[0], texts[1]]);
      // Using a again makes b the least recent: c takes b's place.
      await db.pool.query(texts[0]!, [2]);
      await db.pool.query(texts[2]!, [1]);
      expect((await db.prepared()).sort()).toEqual([texts[0], texts[2]]);
      // b comes back under a fresh name, and answers.
      expect((await db.pool.query(texts[1]!, [7])).rows).toEqual([{ b: 7 }]);
      expect(await db.prepared()).toHaveLength(2);
    }, 2));

  it('leaves a submittable (a cursor, a stream) as it is: it runs unnamed and answers through its own events', () =>
    onOneConnection(async (db) => {
      const client = await db.pool.connect();
      try {
        const rows: unknown[] = [];
        const submitted = client.query(new pg.Query('select $1::int as n', [5]));
        submitted.on('row', (row: unknown) => rows.push(row));
        await new Promise((resolve, reject) => submitted.on('end', resolve).on('error', reject));
        expect(rows).toEqual([{ n: 5 }]);
      } finally {
        client.release();
      }
      expect(await db.prepared()).toEqual([]);
    }));

  it('is off with capacity 0', () =>
    onOneConnection(async (db) => {
      await db.db.execute(lookup(1));
      await db.db.execute(lookup(2));
      expect(await db.prepared()).toEqual([]);
    }, 0));

  it("fails one run when a column changes type under a prepared statement, and answers with the new type from the next (PostgreSQL's re-planning)", () =>
    onOneConnection(async (db) => {
      await db.db.execute(sql`create table drift (id int primary key, label int)`);
      await db.db.execute(sql`insert into drift values (1, 10)`);
      const read = (id: number) => db.db.execute(sql`select * from drift where id = ${id}`);
      expect((await read(1)).rows).toEqual([{ id: 1, label: 10 }]);
      await db.db.execute(sql`alter table drift alter column label type text`);
      await expect(read(1)).rejects.toMatchObject({ cause: { code: '0A000' } });
      expect((await read(1)).rows).toEqual([{ id: 1, label: '10' }]);
      expect(await db.prepared()).toContain('select * from drift where id = $1');
    }));

  it('keeps a transaction whole: statements prepared inside one that rolls back still answer afterwards', () =>
    onOneConnection(async (db) => {
      await db.db.execute(sql`create table kept (id int primary key)`);
      await expect(
        db.db.transaction(async (tx) => {
          await tx.execute(sql`insert into kept values (${1})`);
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect((await db.db.execute(sql`select count(*)::int as n from kept where id = ${1}`)).rows).toEqual([{ n: 0 }]);
      await db.db.execute(sql`insert into kept values (${1})`);
      expect((await db.db.execute(sql`select count(*)::int as n from kept where id = ${1}`)).rows).toEqual([{ n: 1 }]);
    }));
});
