import { createDatabase, type Database } from '@malet/database';
import * as schema from './schema';

export type AuthDb = Database<typeof schema>;

export function createAuthDatabase(url: string, onPoolError?: (error: Error) => void) {
  return createDatabase({ url, schema, applicationName: 'malet-auth', onPoolError });
}

export const migrationsFolder = new URL('../../drizzle', import.meta.url).pathname;
