import { join } from 'node:path';
import { serviceRoot } from '@malet/config';
import { createDatabase, type Database, type PoolOptions } from '@malet/database';
import * as schema from './resources/resource.tables';

export type ScimDb = Database<typeof schema>;

export function createScimDatabase(url: string, options: PoolOptions = {}) {
  return createDatabase({ url, schema, applicationName: 'malet-scim', ...options });
}

export const migrationsFolder = join(serviceRoot(import.meta.url), 'drizzle');
