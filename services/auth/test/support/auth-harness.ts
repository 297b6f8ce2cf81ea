import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { SQL } from 'drizzle-orm';
import { expect, inject } from 'vitest';
import { applyMigrations } from '@malet/database';
import { ANONYMOUS, INTERNAL_TOKEN_HEADER, createInternalTokenSigner, type IdentityClaims } from '@malet/internal-auth';
import { startHttpServer } from '@malet/http-server';
import { createLogger } from '@malet/logging';
import { createTestDatabase, startSmtpCatcher } from '@malet/testing';
import { createAuthApp } from '../../src/app';
import { loadAuthConfig } from '../../src/config';
import { createAuthDatabase, migrationsFolder } from '../../src/core/db';
import { seedDevIdentities } from '../../src/features/dev-token/dev-seed';
import type { SmsProvider } from '../../src/features/mfa/sms';
import { createTestClock, type TestClock } from './clock';
import { httpClient } from './http-client';

export interface AuthHarnessOptions {
  /** Environment on top of the test defaults (dev mode, limits off, Secure cookies off, mail to the catcher; see `production`). */
  env?: Record<string, string>;
  clock?: TestClock;
  /** The run's real Redis (default), or none, as the embedded dev default runs. */
  redis?: boolean;
  /** A fixed port, for tests whose PUBLIC_URL must be the real origin (browsers). */
  port?: number;
  /** Users created at start, as dev mode seeds them (`admin@…` gets the admin role). */
  seed?: string[];
  sms?: SmsProvider;
  /**
   * Run as production does by default: NODE_ENV=production with fresh secrets, and none of the
   * test conveniences (dev mode, Secure cookies off, rate limits off); `env` still applies on top.
   */
  production?: boolean;
}

/** The test conveniences production refuses (dev mode, cookies without Secure, limits off). */
const TEST_CONVENIENCES = { DEV_MODE: 'true', COOKIE_SECURE: 'false', RATE_LIMITS_ENABLED: 'false' };

/** What an operator sets in production besides the mail relay: NODE_ENV and secrets of their own. */
export const productionEnv = () => ({
  NODE_ENV: 'production',
  INTERNAL_TOKEN_SECRET: randomBytes(32).toString('hex'),
  OTP_HMAC_SECRET: randomBytes(32).toString('hex'),
  MFA_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
});

/**
 * The one way auth's tests start auth: the real app on a fresh database of the run's
 * PostgreSQL, the run's Redis, a real SMTP server catching every mail (and the dev SMS
 * provider's texts), listening on loopback. Rate limits are off unless a test turns them on
 * (`RATE_LIMITS_ENABLED: 'true'`); counters of instances sharing the run's Redis never mix.
 */
export async function startAuth(options: AuthHarnessOptions = {}) {
  const clock = options.clock ?? createTestClock();
  const database = await createTestDatabase(inject('postgresAdminUrl'), 'auth');
  const mail = await startSmtpCatcher();
  const redisUrl = options.redis === false ? undefined : inject('redisUrl');
  const config = loadAuthConfig({
    DATABASE_URL: database.url,
    ...(options.production ? productionEnv() : TEST_CONVENIENCES),
    LOG_LEVEL: 'silent',
    PORT: '0',
    SMTP_URL: mail.url,
    // No users service here: profile look-ups fail fast on a closed port.
    USERS_URL: 'http://127.0.0.1:9',
    RATE_LIMIT_KEY_PREFIX: `test:${randomUUID()}`,
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    ...options.env,
  });
  const logger = createLogger({ service: 'auth', level: 'silent' });
  const pool = createAuthDatabase(config.databaseUrl);
  await applyMigrations(pool.pool, migrationsFolder);
  const redis = config.redisUrl ? new Redis(config.redisUrl) : null;
  const auth = await createAuthApp({ config, logger, db: pool.db, ping: pool.ping, redis, clock, sms: options.sms });
  const server = await startHttpServer(auth.app, { port: options.port ?? 0, host: '127.0.0.1', logger });
  if (options.seed) {
    await seedDevIdentities(auth.identities, { emails: options.seed, adminEmails: options.seed.filter((email) => email.startsWith('admin@')) });
  }
  const signInternalToken = createInternalTokenSigner({ secret: config.internalTokenSecret, issuer: 'gateway' });

  /**
   * Waits until every piece of auth's background work has finished and a relay pass over the
   * mail queue has ended: then every mail asked for so far has been accepted by the catcher.
   */
  async function settleMail(): Promise<void> {
    await auth.background.settled();
    await auth.core.mailRelay?.flush();
  }

  /** How many mails the catcher holds once the queue has settled (a baseline no late mail can shift). */
  async function mailCount(): Promise<number> {
    await settleMail();
    return mail.messages.length;
  }

  return {
    ...auth,
    config,
    clock,
    url: server.url,
    db: pool.db,
    pool: pool.pool,
    mail: {
      ...mail,
      settledCount: mailCount,
      /** The newest mail to `address`, looked for once earlier mail has left the queue (so never a stale one). */
      async waitForMail(...args: Parameters<typeof mail.waitForMail>) {
        await settleMail();
        return mail.waitForMail(...args);
      },
    },
    settleMail,
    mailCount,
    api: httpClient(server.url),

    async rows(query: SQL): Promise<Record<string, unknown>[]> {
      return (await pool.db.execute(query)).rows as Record<string, unknown>[];
    },

    /**
     * The SQL statements auth sent through its database pool while `work` ran (observed at the
     * real pool, nothing replaced): how many queries a request costs.
     */
    async statementsDuring(work: () => Promise<unknown>): Promise<string[]> {
      const statements: string[] = [];
      const query = pool.pool.query.bind(pool.pool);
      const observed = (...args: Parameters<typeof query>) => {
        const [first] = args as unknown[];
        statements.push(typeof first === 'string' ? first : String((first as { text?: string }).text));
        return query(...args);
      };
      pool.pool.query = observed as typeof pool.pool.query;
      try {
        await work();
      } finally {
        pool.pool.query = query;
      }
      return statements;
    },

    /** Proves that no mail went to `address` (after the first `after` messages), once the queue has settled. */
    async expectNoMail(address: string, after = 0): Promise<void> {
      await settleMail();
      expect(mail.messages.slice(after).filter((message) => message.to.includes(address.toLowerCase()))).toEqual([]);
    },

    /** The subgraph as the gateway calls it: an internal token carrying `viewer` (anonymous by default). */
    async graphql<T = Record<string, unknown>>(query: string, viewer: Partial<IdentityClaims> = {}, variables: Record<string, unknown> = {}) {
      const token = await signInternalToken({ ...ANONYMOUS, ...viewer });
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [INTERNAL_TOKEN_HEADER]: token },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as { data?: T; errors?: { message: string; extensions: Record<string, unknown> }[] };
    },

    async stop() {
      await server.close();
      await auth.close();
      redis?.disconnect();
      await pool.close();
      await mail.stop();
      await database.drop();
    },
  };
}

export type AuthHarness = Awaited<ReturnType<typeof startAuth>>;
