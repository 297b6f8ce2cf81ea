import { createDatabase, type Database } from '@malet/database';
import * as schema from './schema';

export type OrganizationsDb = Database<typeof schema>;

export function createOrganizationsDatabase(url: string, onPoolError?: (error: Error) => void) {
  return createDatabase({ url, schema, applicationName: 'malet-organizations', onPoolError });
}

export const migrationsFolder = new URL('../../drizzle', import.meta.url).pathname;
