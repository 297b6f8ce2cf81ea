import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { freePort } from '@malet/testing';
import { isDatabaseUnavailable, toErrorReport } from '../src/index';

async function failureOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('a database that is away is a 503, a wrong query stays a 500', () => {
  it('classifies real node-postgres failures', async () => {
    const closed = new pg.Pool({ connectionString: `postgres://postgres:postgres@127.0.0.1:${await freePort()}/x`, connectionTimeoutMillis: 2_000 });
    const refused = await failureOf(() => closed.query('select 1'));
    await closed.end();
    expect(isDatabaseUnavailable(refused)).toBe(true);
    // Wrapped as Drizzle wraps driver errors (the driver error is the cause).
    expect(isDatabaseUnavailable(new Error('Failed query: select 1', { cause: refused }))).toBe(true);

    const pool = new pg.Pool({ connectionString: inject('postgresAdminUrl') });
    try {
      const syntax = await failureOf(() => pool.query('selec 1'));
      expect(isDatabaseUnavailable(syntax)).toBe(false);
      // The server ending the session (as a restart does) is SQLSTATE 57P01 on that connection.
      const client = await pool.connect();
      client.on('error', () => undefined);
      const pid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
      const killed = failureOf(() => client.query('select pg_sleep(10)'));
      await pool.query('select pg_terminate_backend($1)', [pid]);
      expect(isDatabaseUnavailable(await killed)).toBe(true);
      client.release(true);
    } finally {
      await pool.end();
    }
  });

  it('reports it as 503 service:database_unavailable with Retry-After, anything else unknown as 500', () => {
    const down = toErrorReport(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), { production: true });
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ status: 503, code: 'service:database_unavailable', details: 'The database is unavailable; retry shortly' });
    expect(down.headers['Retry-After']).toBe('1');
    const bug = toErrorReport(new TypeError('x is undefined'), { production: true });
    expect(bug.status).toBe(500);
    expect(bug.body.code).toBe('internal:error');
  });
});
