import { join } from 'node:path';
import { serviceRoot } from '@malet/config';
import { createDatabase, type Database, type PoolOptions } from '@malet/database';
import * as schema from './schema';

export type OrganizationsDb = Database<typeof schema>;

export function createOrganizationsDatabase(url: string, options: PoolOptions = {}) {
  return createDatabase({ url, schema, applicationName: 'malet-organizations', ...options });
}

export const migrationsFolder = join(serviceRoot(import.meta.url), 'drizzle');
