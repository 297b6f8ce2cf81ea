/**
 * Issue 13: the standard federation benchmark workload (bench/federation/README.md) through
 * stock Apollo Gateway, Hive Gateway, Hive Gateway with the Rust query planner, and ours, side
 * by side in one run.
 *
 * Each gateway is one process pinned to core 0 with `taskset`; the load generator (autocannon,
 * in this process), the mock subgraphs and auth (with its PostgreSQL) share core 1. Throughput
 * is counted per second of the gateway's own CPU time (requests / its user+system seconds), so
 * a machine shared with other work moves it far less than wall-clock requests per second; both
 * are reported. Every answer is compared with `expected-response.json` after JSON
 * normalisation (key order included): one wrong answer fails the run.
 *
 * Ours validates sessions at auth for every credential, so its rows name the credentials they
 * send: one session (cache warm), a pool of 1,000 sessions (well above the 50 connections:
 * concurrent requests differ, as many returning users' do; every session is sent once in the
 * warm-up, so the measured window finds them cached), and a new session for every request (each
 * one validated at auth). The peers validate
 * nothing; they get a distinct `Authorization` header on every request, as the public
 * benchmarks send, so none of them can merge identical in-flight subgraph requests.
 *
 * BENCH_SECONDS (10) per row, BENCH_FEDERATION_ROUNDS (1): rows are repeated in rounds and each
 * row's best round is kept. BENCH_FEDERATION_ONLY=substring runs the matching rows only;
 * BENCH_FEDERATION_CONNECTIONS (50) for exploring on a busy machine; BENCH_FEDERATION_CPU_PROF=<dir>
 * profiles our gateway (`--cpu-prof`).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { createTestDatabase, freePort, startTestPostgres } from '@malet/testing';
import { GATEWAY_NODE_FLAGS } from '../gateway/src/node-flags';
import { coreTimes, cpuSeconds, loadAverage, peakMemoryMb, pinSelf, startEntryPinned, startPinned, waitForUrl, type PinnedProcess } from './federation/processes';
import { storeSessions, type BenchRow, type BenchSection } from './lib';

const root = resolve(import.meta.dirname, '..');
const dir = join(import.meta.dirname, 'federation');
const GATEWAY_CORE = '0';
const LOAD_CORE = 1;
const CONNECTIONS = Number(process.env.BENCH_FEDERATION_CONNECTIONS ?? 50);
const QUERY = JSON.stringify({ query: readFileSync(join(dir, 'test-query.graphql'), 'utf8'), operationName: 'TestQuery' });
const EXPECTED = JSON.stringify(JSON.parse(readFileSync(join(dir, 'expected-response.json'), 'utf8')));
const hiveBin = join(root, 'bench/node_modules/@graphql-hive/gateway/dist/bin.js');

type Credentials = () => string;

interface GatewaySpec {
  name: string;
  /** The process to start on the gateway core, listening on `port`. */
  start: (port: number) => PinnedProcess;
  /** Path of the GraphQL endpoint. */
  path: string;
  credentials: Credentials;
  /**
   * How many distinct credentials `credentials` cycles through: the warm-up sends that many
   * requests more, so the measured window finds every one cached, as a steady state of many
   * returning users would (a 3 s warm-up alone left a pool of 1,000 half cold).
   */
  distinctCredentials?: number;
  notes?: string;
}

/** Checks every answer: equal to the expected one after normalisation, remembered by its raw text. */
function createAnswerCheck() {
  const accepted = new Set<string>();
  let wrong = 0;
  let sample = '';
  return {
    check(status: number, body: string) {
      if (status === 200 && accepted.has(body)) return;
      let normal = '';
      try {
        normal = JSON.stringify(JSON.parse(body));
      } catch {
        // Not JSON: wrong.
      }
      if (status === 200 && normal === EXPECTED) {
        if (accepted.size < 64) accepted.add(body);
        return;
      }
      wrong += 1;
      sample ||= `${status} ${body.slice(0, 300)}`;
    },
    failures: () => ({ wrong, sample }),
  };
}

/** Loads `url` for `seconds`, or until `amount` requests are answered. */
async function load(url: string, credentials: Credentials, until: { seconds: number } | { amount: number }) {
  const answers = createAnswerCheck();
  const result = await autocannon({
    url,
    method: 'POST',
    connections: CONNECTIONS,
    ...('amount' in until ? { amount: until.amount } : { duration: until.seconds }),
    // A busy machine can hold an answer for seconds; only one that never comes is a failure.
    timeout: 60,
    headers: { 'content-type': 'application/json' },
    body: QUERY,
    requests: [
      {
        setupRequest: (request) => ({ ...request, headers: { ...request.headers, authorization: `Bearer ${credentials()}` } }),
        onResponse: (status, body) => answers.check(status, body),
      },
    ],
  });
  const { wrong, sample } = answers.failures();
  if (wrong > 0 || result.errors + result.timeouts > 0) {
    throw new Error(`${url}: ${wrong} wrong answers, ${result.errors} errors, ${result.timeouts} timeouts; first wrong: ${sample}`);
  }
  return result;
}

async function waitForAnswer(url: string, credentials: Credentials, gateway: PinnedProcess) {
  const started = Date.now();
  for (;;) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${credentials()}` },
        body: QUERY,
      });
      const text = await response.text();
      if (response.status === 200 && JSON.stringify(JSON.parse(text)) === EXPECTED) return;
      if (Date.now() - started > 60_000) throw new Error(`${gateway.name}: wrong answer ${response.status} ${text.slice(0, 300)}`);
    } catch (error) {
      if (Date.now() - started > 60_000) throw new Error(`${gateway.name} never answered: ${(error as Error).message}\n${gateway.output()}`);
    }
    if (gateway.child.exitCode !== null) throw new Error(`${gateway.name} exited\n${gateway.output()}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  }
}

async function subgraphRequests(countsUrl: string, method: 'GET' | 'DELETE') {
  const response = await fetch(countsUrl, { method });
  if (method === 'DELETE') return 0;
  const { requests } = (await response.json()) as { requests: Record<string, number> };
  return Object.values(requests).reduce((sum, count) => sum + count, 0);
}

interface Measured {
  row: BenchRow;
  perCoreSecond: number;
}

async function measure(spec: GatewaySpec, countsUrl: string, seconds: number): Promise<Measured> {
  const port = await freePort();
  const gateway = spec.start(port);
  try {
    const url = `http://127.0.0.1:${port}${spec.path}`;
    await waitForAnswer(url, spec.credentials, gateway);
    await load(url, spec.credentials, { seconds: Math.min(3, seconds) });
    if (spec.distinctCredentials) await load(url, spec.credentials, { amount: spec.distinctCredentials });
    await subgraphRequests(countsUrl, 'DELETE');
    const cpuBefore = cpuSeconds(gateway.pid);
    const coreBefore = coreTimes(LOAD_CORE);
    const result = await load(url, spec.credentials, { seconds });
    const cpu = cpuSeconds(gateway.pid) - cpuBefore;
    const coreAfter = coreTimes(LOAD_CORE);
    const sent = await subgraphRequests(countsUrl, 'GET');
    const answered = result.requests.total;
    const perCoreSecond = answered / cpu;
    return {
      perCoreSecond,
      row: {
        name: spec.name,
        rps: Math.round(result.requests.average),
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        extra: {
          'req per gateway core-s': Math.round(perCoreSecond),
          'gateway core busy': Number((cpu / seconds).toFixed(2)),
          'peak MB': Math.round(peakMemoryMb(gateway.pid)),
          'subgraph req/query': Number((sent / answered).toFixed(2)),
          'load core idle': Number(((coreAfter.idle - coreBefore.idle) / (coreAfter.total - coreBefore.total)).toFixed(2)),
          answers: answered,
        },
      },
    };
  } finally {
    await gateway.stop();
  }
}

export async function run(): Promise<BenchSection> {
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const rounds = Number(process.env.BENCH_FEDERATION_ROUNDS ?? 1);
  const only = process.env.BENCH_FEDERATION_ONLY;
  const loadBefore = loadAverage();
  const restoreAffinity = pinSelf(String(LOAD_CORE));
  const scratch = mkdtempSync(join(tmpdir(), 'malet-federation-'));
  const started: PinnedProcess[] = [];
  const node = process.execPath;
  const onLoadCore = (name: string, entry: string, env: Record<string, string> = {}) => {
    const child = startEntryPinned({ name, cores: String(LOAD_CORE), entry, cwd: root, env });
    started.push(child);
    return child;
  };
  const postgres = await startTestPostgres();
  const database = await createTestDatabase(postgres.adminUrl, 'bench_federation_auth');
  try {
    const mocks = onLoadCore('mock subgraphs', 'bench/federation/mock-subgraphs.main.ts');
    const urls = JSON.parse((await mocks.waitForLine(/^ready /)).slice('ready '.length)) as Record<string, string>;
    const countsUrl = urls.accounts!.replace(/\/graphql$/, '/__counts');
    // The peers read subgraph URLs from the supergraph: a copy pointing at the mocks. Ours
    // serves the workload's file as it is and overrides the URLs (SUBGRAPH_URLS).
    let peerSupergraph = readFileSync(join(dir, 'supergraph.graphql'), 'utf8');
    for (const [name, url] of Object.entries(urls)) peerSupergraph = peerSupergraph.replace(new RegExp(`(name: "${name}", url: ")[^"]*`), `$1${url}`);
    const peerSupergraphPath = join(scratch, 'supergraph.graphql');
    writeFileSync(peerSupergraphPath, peerSupergraph);

    const secret = randomBytes(32).toString('hex');
    const authPort = await freePort();
    const authUrl = `http://127.0.0.1:${authPort}`;
    const auth = onLoadCore('auth', 'services/auth/src/main.ts', {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      HOST: '127.0.0.1',
      PORT: String(authPort),
      DATABASE_URL: database.url,
      INTERNAL_TOKEN_SECRET: secret,
      DEV_MODE: 'true',
      COOKIE_SECURE: 'false',
      RATE_LIMITS_ENABLED: 'false',
      // No users service here: auth's outbox retries in the background, off the measured path.
      USERS_URL: 'http://127.0.0.1:9',
    });
    await waitForUrl(`${authUrl}/ready`, auth);
    const devToken = (await (
      await fetch(`${authUrl}/auth/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'user@example.com' }) })
    ).json()) as { session_token: string; user: { id: string } };

    // Sessions stored as auth stores them (the hash only), for the pool and the one-per-request rows.
    const uniqueCount = Math.max(20_000, Math.ceil(seconds * 1_500 * rounds));
    const pool = await storeSessions(database.url, devToken.user.id, 1_000);
    const unique = await storeSessions(database.url, devToken.user.id, uniqueCount);

    // BENCH_FEDERATION_CPU_PROF=<dir>: our gateway writes a V8 CPU profile there when it stops.
    const profileDir = process.env.BENCH_FEDERATION_CPU_PROF;
    const profileArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(profileDir)}`] : [];
    let peerCounter = 0;
    const peerToken: Credentials = () => `bench-${(peerCounter += 1)}`;
    let poolIndex = 0;
    const fromPool: Credentials = () => pool[(poolIndex += 1) % pool.length]!;
    let uniqueIndex = 0;
    // Ours runs with the Node flags it ships with (gateway/src/node-flags.ts) unless a lever row says otherwise.
    const ours = (name: string, credentials: Credentials, env: Record<string, string> = {}, cores = GATEWAY_CORE, nodeFlags: readonly string[] = GATEWAY_NODE_FLAGS): GatewaySpec => ({
      name,
      path: '/graphql',
      credentials,
      // Each worker keeps its own session cache, and which worker a request reaches is not ours to pick.
      distinctCredentials: credentials === fromPool ? pool.length * Number(env.GATEWAY_WORKERS ?? 1) : undefined,
      start: (port) =>
        startEntryPinned({
          name,
          cores,
          entry: 'gateway/src/main.ts',
          nodeFlags: [...profileArgs, ...nodeFlags],
          cwd: root,
          env: {
            NODE_ENV: 'production',
            LOG_LEVEL: 'warn',
            HOST: '127.0.0.1',
            PORT: String(port),
            INTERNAL_TOKEN_SECRET: secret,
            AUTH_URL: authUrl,
            SUPERGRAPH_PATH: join(dir, 'supergraph.graphql'),
            SUBGRAPH_URLS: Object.entries(urls)
              .map(([subgraph, url]) => `${subgraph}=${url}`)
              .join(','),
            // Large enough that the new-session row misses because every token is new, not by eviction.
            SESSION_CACHE_MAX_ENTRIES: String(uniqueCount + 10_000),
            // Every request comes from the one load generator address: the per-client /graphql limit
            // stays on (its cost is measured) but high enough never to refuse one.
            GRAPHQL_RATE_LIMIT: '1000000000',
            ...env,
          },
        }),
    });
    const candidates: GatewaySpec[] = [
      {
        name: 'Apollo Gateway + Apollo Server (stock)',
        path: '/',
        credentials: peerToken,
        start: (port) =>
          startEntryPinned({
            name: 'apollo',
            cores: GATEWAY_CORE,
            entry: 'bench/federation/peers/apollo-gateway.ts',
            entryArgs: [peerSupergraphPath],
            cwd: root,
            env: { NODE_ENV: 'production', PORT: String(port) },
          }),
      },
      ...[false, true].map(
        (rust): GatewaySpec => ({
          name: rust ? 'Hive Gateway + router runtime (Rust planner)' : 'Hive Gateway',
          path: '/graphql',
          credentials: peerToken,
          start: (port) =>
            startPinned({
              name: rust ? 'hive-router' : 'hive',
              cores: GATEWAY_CORE,
              command: node,
              args: [hiveBin, 'supergraph', peerSupergraphPath, '--port', String(port), '--host', '127.0.0.1', '--fork', '1', '--config-path', join(dir, 'peers/hive-gateway.config.mjs'), ...(rust ? ['--hive-router-runtime'] : [])],
              cwd: scratch,
              env: { NODE_ENV: 'production', LOG_LEVEL: 'warn' },
            }),
        }),
      ),
      ours('Malet gateway, one session (cache warm)', () => devToken.session_token),
      ours('Malet gateway, one session, stock Apollo executor (lever)', () => devToken.session_token, { GATEWAY_EXECUTOR: 'stock' }),
      ours('Malet gateway, one session, entity batching off (lever)', () => devToken.session_token, { SUBGRAPH_ENTITY_BATCHING: 'false' }),
      ours('Malet gateway, one session, V8\'s default young generation (lever)', () => devToken.session_token, {}, GATEWAY_CORE, []),
      ours('Malet gateway, pool of 1,000 sessions', fromPool),
      ours('Malet gateway, a new session per request (validated at auth)', () => {
        if (uniqueIndex >= unique.length) throw new Error('new-session pool exhausted: raise uniqueCount');
        return unique[(uniqueIndex += 1) - 1]!;
      }),
      // All cores: not pinned, sharing the machine with the load generator and the mocks.
      ...[1, 2].map((workers) =>
        ours(`Malet gateway, GATEWAY_WORKERS=${workers} on both cores, pool of 1,000 sessions`, fromPool, { GATEWAY_WORKERS: String(workers) }, '0,1'),
      ),
    ];
    const specs = candidates.filter((spec) => !only || spec.name.includes(only));

    const best = new Map<string, Measured>();
    for (let round = 0; round < rounds; round += 1) {
      for (const spec of specs) {
        const measured = await measure(spec, countsUrl, seconds);
        console.log(`  ${spec.name}: ${measured.perCoreSecond.toFixed(0)} req per gateway core-second`, JSON.stringify(measured.row));
        const previous = best.get(spec.name);
        if (!previous || measured.perCoreSecond > previous.perCoreSecond) best.set(spec.name, measured);
      }
    }
    const rows = specs.map((spec) => best.get(spec.name)!.row);
    const stock = best.get(specs[0]!.name)?.perCoreSecond;
    if (stock && specs[0]!.name.startsWith('Apollo')) {
      for (const spec of specs) best.get(spec.name)!.row.extra!['× stock Apollo'] = Number((best.get(spec.name)!.perCoreSecond / stock).toFixed(2));
    }
    const ratios = stock
      ? specs
          .slice(1)
          .filter((spec) => !spec.name.includes('GATEWAY_WORKERS'))
          .map((spec) => ({ name: `${spec.name} / stock Apollo, per gateway core-second`, value: best.get(spec.name)!.perCoreSecond / stock }))
      : [];
    const [oneWorker, twoWorkers] = [1, 2].map((workers) => specs.find((spec) => spec.name.includes(`GATEWAY_WORKERS=${workers}`)));
    if (oneWorker && twoWorkers) {
      ratios.push({ name: 'GATEWAY_WORKERS=2 / GATEWAY_WORKERS=1, requests per second (wall clock)', value: best.get(twoWorkers.name)!.row.rps / best.get(oneWorker.name)!.row.rps });
    }
    return {
      title: `Federation benchmark workload (TestQuery, 87.6 KB answer): each gateway on one core, ${CONNECTIONS} connections`,
      rows,
      ratios,
      notes: [
        `rows: req/s is wall clock; "req per gateway core-s" is answers / the gateway's CPU seconds (pinned to core ${GATEWAY_CORE}); load generator, mock subgraphs, auth and PostgreSQL share core ${LOAD_CORE}`,
        'every answer compared with expected-response.json after JSON normalisation; a wrong one fails the run',
        'GATEWAY_WORKERS rows are not pinned: the workers share both cores with everything else, so compare their req/s with each other only',
        'peers get a distinct Authorization header per request; ours: one session, a pool of 1,000 sessions, or a new session per request, as the row says',
        `${seconds} s per row after a 3 s warm-up, best of ${rounds} round(s); peak MB is the gateway's VmHWM over its whole life`,
        `load average (1 min) before the run ${loadBefore.toFixed(2)}, after ${loadAverage().toFixed(2)} (2 cores)`,
      ],
    };
  } finally {
    await Promise.all(started.map((child) => child.stop()));
    restoreAffinity();
    await database.drop();
    await postgres.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}
