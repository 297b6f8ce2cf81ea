import pg from 'pg';
import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { prepareRepeatedStatements } from './prepared-statements';

export type Database<TSchema extends Record<string, unknown>> = NodePgDatabase<TSchema>;

/** What a service's process decides about its pool; the service itself names its schema and application. */
export interface PoolOptions {
  onPoolError?: (error: Error) => void;
  /** Statement texts each connection keeps prepared (prepared-statements.ts); 0 turns it off. */
  preparedStatements?: number;
}

/**
 * The pool options of a service's process: its configured number of prepared statements, and a
 * warning for a client the server dropped (idle or checked out), which the pool then discards.
 */
export function servicePoolOptions(options: { logger: { warn: (fields: object, message: string) => void }; preparedStatements: number }): PoolOptions {
  return {
    onPoolError: (error) => options.logger.warn({ err: error }, 'database client error: the pool discards the client'),
    preparedStatements: options.preparedStatements,
  };
}

export function createDatabase<TSchema extends Record<string, unknown>>(
  options: PoolOptions & {
    url: string;
    schema: TSchema;
    applicationName: string;
    maxConnections?: number;
  },
) {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    application_name: options.applicationName,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // A client dropped by the server (a restart, a failover) must not take the process down. Its
  // own 'error' event fires whether it is idle or checked out (a transaction waiting between
  // statements), so that listener reports it, once; the pool re-emits an idle client's error,
  // which would throw without a listener of its own, and would report it a second time. The
  // statement that next uses such a client fails and the pool discards it.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    client.on('error', (error) => options.onPoolError?.(error));
    prepareRepeatedStatements(client, options.preparedStatements ?? 200);
  });
  const db = drizzle(pool, { schema: options.schema });
  return {
    db,
    pool,
    ping: async () => {
      await pool.query('select 1');
    },
    close: () => pool.end(),
  };
}

/**
 * Applies the committed migrations at start-up. Replicas starting together serialise on an
 * advisory lock, so two of them never race on the same migration.
 */
export async function applyMigrations(pool: pg.Pool, migrationsFolder: string): Promise<void> {
  const client = await pool.connect();
  const lockKey = 0x6d616c6574; // "malet": any constant shared by all replicas of one database
  try {
    await client.query('select pg_advisory_lock($1)', [lockKey]);
    await migrate(drizzle(client), { migrationsFolder });
  } finally {
    await client.query('select pg_advisory_unlock($1)', [lockKey]).catch(() => undefined);
    client.release();
  }
}

/** Creates a database on the server behind `adminUrl` unless it exists. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`unsafe database name: ${name}`);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const existing = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (existing.rowCount === 0) await client.query(`create database "${name}"`);
  } catch (error) {
    // Two processes may race to create the same database; the loser sees a duplicate.
    if ((error as { code?: string }).code !== '42P04' && (error as { code?: string }).code !== '23505') throw error;
  } finally {
    await client.end();
  }
}

/** The URL of database `name` on the same server as `serverUrl`. */
export function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids from clients are checked before they reach a uuid column, which would reject them with an error. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/**
 * Several independent writes as one statement (PostgreSQL's data-modifying `WITH`): one round
 * trip instead of one per write plus BEGIN and COMMIT, and all or nothing, because a single
 * statement is its own transaction. The writes run on one snapshot and cannot see each other's
 * rows, so none may read what another writes (ids a later write needs are minted beforehand);
 * foreign keys between them are checked at the end of the statement, so a row may reference one
 * inserted beside it.
 */
export async function writeTogether(db: { execute: (query: SQL) => Promise<unknown> }, writes: readonly SQLWrapper[]): Promise<void> {
  if (writes.length === 0) return;
  if (writes.length === 1) {
    await db.execute(writes[0]!.getSQL());
    return;
  }
  const parts = writes.map((write, index) => sql`${sql.raw(`w${index}`)} as (${write.getSQL()})`);
  await db.execute(sql`with ${sql.join(parts, sql`, `)} select 1`);
}
