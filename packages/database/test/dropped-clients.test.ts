import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '@malet/testing';
import { createDatabase, servicePoolOptions } from '../src/index';

/**
 * A server that ends a connection (a restart, a failover, an administrator) must cost the
 * service one warning and, at most, the statement that was using it: never the process.
 */
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let admin: pg.Pool;
beforeAll(async () => {
  database = await createTestDatabase(inject('postgresAdminUrl'), 'dropped_clients');
  admin = new pg.Pool({ connectionString: database.url, max: 1 });
});
afterAll(async () => {
  await admin.end();
  await database.drop();
});

/** A logger that records its warnings and lets a test wait for the next one. */
function recordingLogger() {
  const warnings: { fields: object; message: string }[] = [];
  let wake: (() => void) | null = null;
  return {
    warnings,
    warn(fields: object, message: string) {
      warnings.push({ fields, message });
      wake?.();
    },
    /** Resolves once `count` warnings have arrived. */
    until: (count: number) =>
      new Promise<void>((resolve) => {
        const check = () => (warnings.length >= count ? resolve() : (wake = check));
        check();
      }),
  };
}

const terminate = (pid: number) => admin.query('select pg_terminate_backend($1)', [pid]);

function open(logger: ReturnType<typeof recordingLogger>) {
  return createDatabase({ url: database.url, schema: {}, applicationName: 'dropped-test', maxConnections: 1, ...servicePoolOptions({ logger, preparedStatements: 10 }) });
}

describe('a connection the server drops', () => {
  it('is logged as one warning when idle, and the pool serves the next statement on a new connection', async () => {
    const logger = recordingLogger();
    const db = open(logger);
    try {
      const first = (await db.pool.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
      await terminate(first);
      await logger.until(1);
      const next = (await db.pool.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
      expect(next).not.toBe(first);
      // One drop, one line: the pool's re-emit of an idle client's error is not a second report.
      expect(logger.warnings).toHaveLength(1);
      expect(logger.warnings[0]!.message).toMatch(/database client error/);
      expect((logger.warnings[0]!.fields as { err: { code?: string } }).err.code).toBe('57P01');
    } finally {
      await db.close();
    }
  });

  it('fails only the statement it was running when checked out, and is logged, not thrown at the process', async () => {
    const logger = recordingLogger();
    const db = open(logger);
    try {
      const client = await db.pool.connect();
      const pid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
      const running = client.query('select pg_sleep(30)').then(
        () => null,
        (error: { code?: string }) => error,
      );
      await terminate(pid);
      expect((await running)?.code).toBe('57P01');
      await logger.until(1);
      client.release(true);
      expect((await db.pool.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }]);
      // The socket's end or reset, depending on timing: either way one line.
      expect(logger.warnings.map((warning) => warning.message)).toEqual(['database client error: the pool discards the client']);
    } finally {
      await db.close();
    }
  });
});
