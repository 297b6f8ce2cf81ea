import { join } from 'node:path';
import { serviceRoot } from '@malet/config';
import type { SQLWrapper } from 'drizzle-orm';
import { createDatabase, type Database, type PoolOptions } from '@malet/database';

/**
 * Auth's database. Tables live next to the code that owns them (`**\/*.tables.ts`, which is also
 * what drizzle-kit reads); queries name their tables, so the client needs no schema object.
 */
export type AuthDb = Database<Record<string, never>>;

export function createAuthDatabase(url: string, options: PoolOptions = {}) {
  return createDatabase({ url, schema: {}, applicationName: 'malet-auth', ...options });
}

export const migrationsFolder = join(serviceRoot(import.meta.url), 'drizzle');

/** A transaction of auth's database, for work that must commit together with a core change. */
export type AuthTransaction = Parameters<Parameters<AuthDb['transaction']>[0]>[0];

/**
 * A write built by a repository but not yet sent, for a use case to store together with others
 * in one statement (`writeTogether` of @malet/database): all of them or none.
 */
export type PendingWrite = SQLWrapper;
