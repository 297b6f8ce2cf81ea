/**
 * Writes services/auth/openapi.json from the route declarations every module mounts. Builds the app exactly as `main.ts` does,
 * in dev mode so dev-only routes are documented too, without touching a database, Redis or SMTP.
 * Usage: pnpm --filter @malet/auth openapi [--check]   (--check fails when the file is stale)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createLogger } from '@malet/logging';
import { createAuthApp } from '../src/app';
import { loadAuthConfig } from '../src/config';
import { createAuthDatabase } from '../src/core/db';
import { renderOpenApiDocument } from '../src/features/docs/docs.routes';

const target = new URL('../openapi.json', import.meta.url);
// A database that is never connected to: building the app opens no connection.
const config = loadAuthConfig({ DEV_MODE: 'true', LOG_LEVEL: 'silent', DATABASE_URL: 'postgres://unused@127.0.0.1:9/unused' });
const logger = createLogger({ service: 'auth', level: 'silent' });
const database = createAuthDatabase(config.databaseUrl);
const auth = await createAuthApp({
  config,
  logger,
  db: database.db,
  ping: database.ping,
  redis: null,
  mailer: { send: async () => {} },
});
const document = renderOpenApiDocument(auth.routes);
await auth.close();
await database.close();

if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(target, 'utf8');
  } catch {
    // A missing file is stale too.
  }
  if (committed !== document) {
    console.error('services/auth/openapi.json is stale: run `pnpm --filter @malet/auth openapi`');
    process.exit(1);
  }
  console.log('services/auth/openapi.json is up to date');
} else {
  writeFileSync(target, document);
  console.log(`wrote ${target.pathname} (${Object.keys(JSON.parse(document).paths).length} paths)`);
}
