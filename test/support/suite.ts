import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { GATEWAY, SERVICES, entryPoint } from '@malet/service-registry';
import { GATEWAY_NODE_FLAGS } from '../../gateway/src/node-flags';
import { createTestDatabase, freePort, startNodeProcess, waitForReady, type ManagedProcess } from '@malet/testing';

const root = resolve(import.meta.dirname, '../..');

export interface SuiteOptions {
  /** How many gateway processes (the revocation test runs two). */
  gateways?: number;
  /** Use the run's Redis (default) or none, as the embedded dev default does. */
  redis?: boolean;
  /** Extra environment per process name (`auth`, `gateway`, ...). */
  env?: Record<string, Record<string, string>>;
  /**
   * Extra replicas of a service on the same database (`{ auth: 2 }`), as Kubernetes scales a
   * Deployment. Replica i is named `auth-i` (the first stays `auth`); gateway i talks to replica
   * i modulo their number, so two gateways exercise two replicas.
   */
  replicas?: Partial<Record<string, number>>;
  /** Fixed ports for the gateways, in order (a browser test must know the gateway's origin before auth starts). */
  gatewayPorts?: number[];
}

interface ProcessSpec {
  name: string;
  entry: string;
  env: Record<string, string | undefined>;
  readyUrl: string;
  nodeFlags?: readonly string[];
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
    auth: { DEV_MODE: 'true', COOKIE_SECURE: 'false', USERS_URL: urls.users!, ORGANIZATIONS_URL: urls.organizations!, OUTBOX_POLL_MS: '200' },
    scim: { AUTH_URL: urls.auth!, ORGANIZATIONS_URL: urls.organizations!, OUTBOX_POLL_MS: '200' },
  };

  const specs = new Map<string, ProcessSpec>();
  const launch = async (spec: ProcessSpec) => {
    specs.set(spec.name, spec);
    const process = startNodeProcess({ name: spec.name, entry: spec.entry, cwd: root, env: spec.env, ...(spec.nodeFlags ? { nodeFlags: spec.nodeFlags } : {}) });
    processes.push(process);
    await waitForReady(process, spec.readyUrl);
  };
  const replicaUrls: Record<string, string[]> = {};

  try {
    await Promise.all(
      SERVICES.map(async ({ name }) => {
        const database = await createTestDatabase(adminUrl, name.replace('-', '_'));
        databases.push(database);
        databaseUrls[name] = database.url;
        replicaUrls[name] = [urls[name]!];
        for (let index = 1; index < (options.replicas?.[name] ?? 1); index += 1) replicaUrls[name].push(`http://127.0.0.1:${await freePort()}`);
        // Replicas start one after the other: each applies migrations, as a rolling deployment does.
        for (const [index, url] of replicaUrls[name].entries()) {
          await launch({
            name: index === 0 ? name : `${name}-${index}`,
            entry: entries[name]!,
            env: { ...common, PORT: new URL(url).port, DATABASE_URL: database.url, ...serviceEnv[name], ...options.env?.[name] },
            readyUrl: `${url}/ready`,
          });
        }
      }),
    );
    const gatewayUrls: string[] = [];
    for (let index = 0; index < (options.gateways ?? 1); index += 1) {
      const url = `http://127.0.0.1:${options.gatewayPorts?.[index] ?? (await freePort())}`;
      const replicaOf = (name: string) => replicaUrls[name]![index % replicaUrls[name]!.length]!;
      await launch({
        name: `gateway-${index}`,
        entry: entries.gateway!,
        env: {
          ...common,
          PORT: new URL(url).port,
          ...Object.fromEntries(SERVICES.map((service) => [service.urlEnv, replicaOf(service.name)])),
          // Tests, load and benches send everything from one loopback address, far past one
          // client's /graphql budget; the test of that limit sets its own.
          GRAPHQL_RATE_LIMIT: '1000000',
          ...options.env?.gateway,
        },
        readyUrl: `${url}/ready`,
        nodeFlags: GATEWAY_NODE_FLAGS,
      });
      gatewayUrls.push(url);
    }
    return createSuiteHandle({ gatewayUrls, urls, replicaUrls, databaseUrls, secret, processes, databases, specs, launch });
  } catch (error) {
    await Promise.all(processes.map((process) => process.stop()));
    await Promise.all(databases.map((database) => database.drop()));
    throw error;
  }
}

function createSuiteHandle(suite: {
  gatewayUrls: string[];
  urls: Record<string, string>;
  replicaUrls: Record<string, string[]>;
  databaseUrls: Record<string, string>;
  secret: string;
  processes: ManagedProcess[];
  databases: { drop: () => Promise<void> }[];
  specs: Map<string, ProcessSpec>;
  launch: (spec: ProcessSpec) => Promise<void>;
}) {
  const gatewayUrl = suite.gatewayUrls[0]!;
  const current = (name: string) => {
    const process = suite.processes.findLast((candidate) => candidate.name === name);
    if (!process) throw new Error(`no process named ${name}`);
    return process;
  };
  return {
    gatewayUrl,
    gatewayUrls: suite.gatewayUrls,
    urls: suite.urls,
    /** Every replica's URL per service (one unless `replicas` asked for more). */
    replicaUrls: suite.replicaUrls,
    /** The running process of that name (the newest, after a restart). */
    process: current,

    /** Kills a process at once (SIGKILL): a crash, not a shutdown. */
    async kill(name: string): Promise<void> {
      await current(name).stop('SIGKILL');
    },

    /** Freezes a process (SIGSTOP): it keeps its sockets but answers nothing, as a hung process does. */
    pause(name: string): void {
      current(name).child.kill('SIGSTOP');
    },

    resume(name: string): void {
      current(name).child.kill('SIGCONT');
    },

    /** Starts a stopped or killed process again with the same address, database and settings. */
    async restart(name: string): Promise<void> {
      const spec = suite.specs.get(name);
      if (!spec) throw new Error(`no process named ${name}`);
      const running = current(name);
      if (running.child.exitCode === null && running.child.signalCode === null) await running.stop();
      await suite.launch(spec);
    },
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
      // A paused process would ignore SIGTERM until it is woken.
      for (const process of suite.processes) if (process.child.exitCode === null) process.child.kill('SIGCONT');
      await Promise.all(suite.processes.map((process) => process.stop()));
      await Promise.all(suite.databases.map((database) => database.drop()));
    },
  };
}

export type Suite = Awaited<ReturnType<typeof startSuite>>;
