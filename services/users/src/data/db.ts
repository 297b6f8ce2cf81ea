import { join } from 'node:path';
import { serviceRoot } from '@malet/config';
import { createDatabase, type Database, type PoolOptions } from '@malet/database';
import * as schema from './schema';

export type UsersDb = Database<typeof schema>;

export function createUsersDatabase(url: string, options: PoolOptions = {}) {
  return createDatabase({ url, schema, applicationName: 'malet-users', ...options });
}

export const migrationsFolder = join(serviceRoot(import.meta.url), 'drizzle');
