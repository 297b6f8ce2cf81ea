import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { GATEWAY, SERVICES, entryPoint } from '@malet/service-registry';
import { createTestDatabase, freePort, startNodeProcess, waitForReady, type ManagedProcess } from '@malet/testing';

const root = resolve(import.meta.dirname, '../..');

export interface SuiteOptions {
  /** How many gateway processes (the revocation test runs two). */
  gateways?: number;
  /** Use the run's Redis (default) or none, as the embedded dev default does. */
  redis?: boolean;
  /** Extra environment per process name (`auth`, `gateway`, ...). */
  env?: Record<string, Record<string, string>>;
}

/**
 * The whole suite as real processes on free loopback ports, each service on its own fresh
 * database of the run's PostgreSQL, plus `gateways` gateway processes in front. Nothing is
 * mocked: tests talk HTTP to it exactly as clients do.
 */
export async function startSuite(options: SuiteOptions & { postgresAdminUrl: string; redisUrl?: string | undefined; logLevel?: string }) {
  const adminUrl = options.postgresAdminUrl;
  const redisUrl = options.redis === false ? undefined : options.redisUrl;
  const secret = randomBytes(32).toString('hex');
  const processes: ManagedProcess[] = [];
  const databases: { name: string; url: string; drop: () => Promise<void> }[] = [];
  // Every listed process must have its entry point: a missing one fails the suite, never skips.
  const entries = Object.fromEntries([...SERVICES, GATEWAY].map((entry) => [entry.name, entryPoint(root, entry)]));
  const urls: Record<string, string> = {};
  for (const { name } of SERVICES) urls[name] = `http://127.0.0.1:${await freePort()}`;
  const databaseUrls: Record<string, string> = {};

  const common = {
    NODE_ENV: 'test',
    LOG_LEVEL: options.logLevel ?? 'warn',
    INTERNAL_TOKEN_SECRET: secret,
    REDIS_URL: redisUrl,
    HOST: '127.0.0.1',
  };
  const serviceEnv: Record<string, Record<string, string>> = {
    auth: { DEV_MODE: 'true', COOKIE_SECURE: 'false', USERS_URL: urls.users!, OUTBOX_POLL_MS: '200' },
  };

  try {
    await Promise.all(
      SERVICES.map(async ({ name }) => {
        const database = await createTestDatabase(adminUrl, name.replace('-', '_'));
        databases.push(database);
        databaseUrls[name] = database.url;
        const process = startNodeProcess({
          name,
          entry: entries[name]!,
          cwd: root,
          env: { ...common, PORT: new URL(urls[name]!).port, DATABASE_URL: database.url, ...serviceEnv[name], ...options.env?.[name] },
        });
        processes.push(process);
        await waitForReady(process, `${urls[name]}/ready`);
      }),
    );
    const gatewayUrls: string[] = [];
    for (let index = 0; index < (options.gateways ?? 1); index += 1) {
      const url = `http://127.0.0.1:${await freePort()}`;
      const process = startNodeProcess({
        name: `gateway-${index}`,
        entry: entries.gateway!,
        cwd: root,
        env: {
          ...common,
          PORT: new URL(url).port,
          ...Object.fromEntries(SERVICES.map((service) => [service.urlEnv, urls[service.name]])),
          ...options.env?.gateway,
        },
      });
      processes.push(process);
      await waitForReady(process, `${url}/ready`);
      gatewayUrls.push(url);
    }
    return createSuiteHandle({ gatewayUrls, urls, databaseUrls, secret, processes, databases });
  } catch (error) {
    await Promise.all(processes.map((process) => process.stop()));
    await Promise.all(databases.map((database) => database.drop()));
    throw error;
  }
}

function createSuiteHandle(suite: {
  gatewayUrls: string[];
  urls: Record<string, string>;
  databaseUrls: Record<string, string>;
  secret: string;
  processes: ManagedProcess[];
  databases: { drop: () => Promise<void> }[];
}) {
  const gatewayUrl = suite.gatewayUrls[0]!;
  return {
    gatewayUrl,
    gatewayUrls: suite.gatewayUrls,
    urls: suite.urls,
    databaseUrls: suite.databaseUrls,
    internalTokenSecret: suite.secret,
    processes: suite.processes,

    /** `POST /auth/dev/token` on auth, as in seed 000. */
    async devToken(email = 'user@example.com'): Promise<{ token: string; user: { id: string; email: string; username: string } }> {
      const response = await fetch(`${suite.urls.auth}/auth/dev/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email }),
      });
      if (!response.ok) throw new Error(`dev token failed: ${response.status} ${await response.text()}`);
      const body = (await response.json()) as { session_token: string; user: { id: string; email: string; username: string } };
      return { token: body.session_token, user: body.user };
    },

    /** A GraphQL request to a gateway; returns HTTP status and the parsed body. */
    async graphql<T = Record<string, unknown>>(
      query: string,
      options: { variables?: Record<string, unknown>; token?: string; cookie?: string; headers?: Record<string, string>; url?: string } = {},
    ) {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      if (options.cookie) headers.cookie = `session_token=${options.cookie}`;
      const response = await fetch(`${options.url ?? gatewayUrl}/graphql`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables: options.variables }),
      });
      const body = (await response.json()) as { data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] };
      return { status: response.status, headers: response.headers, ...body };
    },

    async stop() {
      await Promise.all(suite.processes.map((process) => process.stop()));
      await Promise.all(suite.databases.map((database) => database.drop()));
    },
  };
}

export type Suite = Awaited<ReturnType<typeof startSuite>>;
