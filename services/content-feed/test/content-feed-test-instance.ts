import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { applyMigrations } from '@malet/database';
import { startHttpServer } from '@malet/http-server';
import { ANONYMOUS, INTERNAL_TOKEN_HEADER, createInternalTokenSigner } from '@malet/internal-auth';
import { createLogger } from '@malet/logging';
import { createTestDatabase } from '@malet/testing';
import { createContentFeedApp } from '../src/app';
import { loadContentFeedConfig } from '../src/config';
import { createContentFeedDatabase, migrationsFolder } from '../src/data/db';

export const TEST_PUBLIC_BASE_URL = 'https://feeds.example.test';

export interface GraphQLResult<T = Record<string, unknown>> {
  status: number;
  data: T | null;
  errors?: { message: string; path?: string[]; extensions?: { code?: string; reason?: string } }[];
}

/**
 * The content-feed service on a fresh database of the run's real PostgreSQL, listening on a
 * free loopback port. One factory for every content-feed test (STYLE: tests).
 */
export async function startContentFeedTestInstance(options: { env?: Record<string, string> } = {}) {
  const database = await createTestDatabase(inject('postgresAdminUrl'), 'content_feed');
  const config = loadContentFeedConfig({
    DATABASE_URL: database.url,
    LOG_LEVEL: 'silent',
    PORT: '0',
    PUBLIC_BASE_URL: TEST_PUBLIC_BASE_URL,
    ...options.env,
  });
  const logger = createLogger({ service: 'content-feed', level: 'silent' });
  const pool = createContentFeedDatabase(config.databaseUrl);
  await applyMigrations(pool.pool, migrationsFolder);
  const contentFeed = await createContentFeedApp({ config, logger, db: pool.db, ping: pool.ping });
  const server = await startHttpServer(contentFeed.app, { port: 0, host: '127.0.0.1', logger });
  // Plays the gateway: signs the identity it would forward.
  const signInternalToken = createInternalTokenSigner({ secret: config.internalTokenSecret, issuer: 'gateway' });

  async function graphql<T = Record<string, unknown>>(
    query: string,
    variables: Record<string, unknown> = {},
    as: { userId: string | null } = { userId: null },
  ): Promise<GraphQLResult<T>> {
    const token = await signInternalToken({ ...ANONYMOUS, userId: as.userId });
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [INTERNAL_TOKEN_HEADER]: token },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as Omit<GraphQLResult<T>, 'status'>;
    return { status: response.status, ...body };
  }

  return {
    ...contentFeed,
    config,
    url: server.url,
    db: pool.db,
    pool: pool.pool,
    graphql,
    signInternalToken,
    /** A fresh user id, as auth would mint one. */
    newUserId: () => randomUUID(),
    fetchFeed: (path: string, headers: Record<string, string> = {}) => fetch(`${server.url}${path}`, { headers, redirect: 'manual' }),
    async stop() {
      await server.close();
      await contentFeed.close();
      await pool.close();
      await database.drop();
    },
  };
}

export type ContentFeedTestInstance = Awaited<ReturnType<typeof startContentFeedTestInstance>>;
