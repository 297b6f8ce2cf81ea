/**
 * What the root vitest global setup (test/global-setup.ts) provides to every test file through
 * `inject`: one real PostgreSQL and one real Redis per run. Listed in tsconfig.base.json's
 * `files`, so every workspace type-checks its tests on its own too.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    postgresAdminUrl: string;
    redisUrl: string;
  }
}

export {};
