/**
 * Password logins per second against the argon2id ceiling. The ceiling is raw verifications per
 * second of one stored hash with the service's own parameters (OWASP: m=19456 KiB, t=2, p=1) at
 * the same concurrency, measured in the same run on the same machine; the login rows are
 * `POST /auth/login` over loopback HTTP against the real auth app on a real PostgreSQL
 * (embedded, or TEST_POSTGRES_URL): lockout check, identity and hash look-up, one argon2id
 * verification, session, audit row. Unknown emails pay a dummy verification, so their row
 * should sit next to the known-account row. Between the two, an HTTP floor: the same POST to a bare
 * node:http server that only verifies, the most any login over HTTP can reach on these cores.
 * BENCH_PASSWORD_COUNT sets logins per row (default 200).
 * BENCH_PASSWORD_CPU_PROF=<file> writes a V8 CPU profile of the main thread (auth and the load
 * client share it) taken during the right-password rows only.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createCredentialRepository } from '../services/auth/src/features/passwords/credential.repository';
import { createPasswordHasher } from '../services/auth/src/features/passwords/password-hasher';
import { startBenchAuth } from './auth-instance';
import { ownCpuSeconds } from './federation/processes';
import { opsPerSecond, type BenchSection } from './lib';
const PASSWORD = 'violet-harbour-kettle-93';
const ROUNDS = 3;

export async function run(): Promise<BenchSection> {
  const count = Number(process.env.BENCH_PASSWORD_COUNT ?? 200);
  // argon2id runs on libuv's thread pool (UV_THREADPOOL_SIZE threads, 4 by default, read by this
  // process and by auth alike: they are one process here): as many logins and raw verifications
  // in flight as it has threads, so both use the whole pool and no more.
  const concurrency = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const instance = await startBenchAuth({ name: 'bench_pw', mailer: { send: async () => {} } });
  const { auth } = instance;
  // The service's own parameters: the ceiling is what its hasher can do, outside the HTTP path.
  const hasher = createPasswordHasher(instance.config.passwords.argon2);

  // The load client shares this process (and the machine's cores) with auth and argon2id, so it
  // is node:http on kept-alive connections rather than fetch, whose web streams cost a login
  // about a millisecond of CPU more: the rows should measure auth, not the client.
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency * 2 });
  const target = new URL('/auth/login', instance.url);
  let floor: Awaited<ReturnType<typeof startHttpFloor>> | undefined;
  const post = (to: URL, email: string, expected: number) =>
    new Promise<void>((resolve, reject) => {
      const body = JSON.stringify({ email, password: PASSWORD });
      const sent = request(to, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
        response.resume();
        response.on('error', reject);
        response.on('end', () => (response.statusCode === expected ? resolve() : reject(new Error(`login answered ${response.statusCode}, expected ${expected}`))));
      });
      sent.on('error', reject);
      sent.end(body);
    });
  const login = (email: string, expected: number) => post(target, email, expected);

  try {
    // Accounts share one stored hash: setting them up must not cost `count` argon2 hashes.
    const stored = await hasher.hash(PASSWORD);
    floor = await startHttpFloor(hasher, stored);
    const floorUrl = floor.url;
    const credentials = createCredentialRepository(instance.db);
    const emails = Array.from({ length: count }, (_, i) => `pw-${i}@bench.example.com`);
    await opsPerSecond(count, 16, async (i) => {
      const { identity } = await auth.identities.createWithEvent({ email: emails[i]!, verified: true });
      await credentials.setPasswordHash(identity.id, stored, new Date());
    });

    // Warm-up: first verification pays for the dummy hash and JIT.
    await login(emails[0]!, 200);
    await login('warmup-unknown@bench.example.com', 401);

    // Rows interleaved over rounds, best of each kept: a busy machine (other processes) slows
    // whichever row it happens to overlap, and the ratio should compare like with like.
    // Where a login's time goes besides argon2id: database round trips (every statement the
    // pg driver sends, BEGIN and COMMIT included) and the main thread's own work (its event-loop
    // utilisation while logins run), counted over the right-password rows.
    let statements = 0;
    const send = pg.Client.prototype.query;
    pg.Client.prototype.query = function countedQuery(this: pg.Client, ...args: unknown[]) {
      statements += 1;
      return (send as (...sent: unknown[]) => unknown).apply(this, args);
    } as typeof send;
    // CPU time, which is what the rows share on a small machine: this process's (argon2id's pool
    // threads, auth's main thread and the load client) and auth's PostgreSQL backends'.
    const traced = { logins: 0, statements: 0, mainThreadMs: 0, wallMs: 0, processCpuMs: 0, processSystemMs: 0, postgresCpuMs: 0, mainThreadCpuMs: 0, otherThreadsCpuMs: 0 };
    const verified = { verifications: 0, processCpuMs: 0, processSystemMs: 0, mainThreadCpuMs: 0, otherThreadsCpuMs: 0 };
    const profiler = await startProfiler(process.env.BENCH_PASSWORD_CPU_PROF);
    const backends = postgresBackendCpu(instance.db);
    const tracedLogins = async (logins: number, run: () => Promise<number>) => {
      const [before, loop, started, cpu, threads, postgres] = [statements, performance.eventLoopUtilization(), performance.now(), process.cpuUsage(), threadCpuMs(), await backends.sample()];
      await profiler?.resume();
      const rate = await run();
      await profiler?.pause();
      const used = performance.eventLoopUtilization(loop);
      const spent = process.cpuUsage(cpu);
      traced.processCpuMs += cpuMs(spent);
      traced.processSystemMs += spent.system / 1000;
      addThreadCpu(traced, threads);
      traced.postgresCpuMs += await backends.since(postgres);
      traced.logins += logins;
      traced.statements += statements - before;
      traced.mainThreadMs += used.active;
      traced.wallMs += performance.now() - started;
      return rate;
    };
    const tracedVerifications = async (verifications: number, run: () => Promise<number>) => {
      const [cpu, threads] = [process.cpuUsage(), threadCpuMs()];
      const rate = await run();
      const spent = process.cpuUsage(cpu);
      addThreadCpu(verified, threads);
      verified.processCpuMs += cpuMs(spent);
      verified.processSystemMs += spent.system / 1000;
      verified.verifications += verifications;
      return rate;
    };

    let ceiling = 0;
    let httpFloor = 0;
    let known = 0;
    let knownWide = 0;
    let unknown = 0;
    const half = Math.ceil(count / ROUNDS);
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const offset = round * half;
        ceiling = Math.max(
          ceiling,
          await tracedVerifications(half, () =>
            opsPerSecond(half, concurrency, async () => {
              if (!(await hasher.verify(stored, PASSWORD))) throw new Error('verification failed');
            }),
          ),
        );
        httpFloor = Math.max(httpFloor, await opsPerSecond(half, concurrency, (i) => post(floorUrl, emails[(offset + i) % count]!, 200)));
        known = Math.max(known, await tracedLogins(half, () => opsPerSecond(half, concurrency, (i) => login(emails[(offset + i) % count]!, 200))));
        // Twice the logins in flight: while some wait on the database, others keep argon2id busy.
        knownWide = Math.max(knownWide, await opsPerSecond(half, concurrency * 2, (i) => login(emails[(offset + half + i) % count]!, 200)));
        unknown = Math.max(unknown, await opsPerSecond(half, concurrency, (i) => login(`nobody-${offset + i}@bench.example.com`, 401)));
      }
    } finally {
      pg.Client.prototype.query = send;
      await profiler?.stop();
    }
    const perLogin = {
      statements: traced.statements / traced.logins,
      mainThreadMs: traced.mainThreadMs / traced.logins,
      verifyMs: (1000 * concurrency) / ceiling,
      loginMs: (1000 * concurrency) / known,
      verifyCpuMs: verified.processCpuMs / verified.verifications,
      verifySystemMs: verified.processSystemMs / verified.verifications,
      processCpuMs: traced.processCpuMs / traced.logins,
      processSystemMs: traced.processSystemMs / traced.logins,
      postgresCpuMs: traced.postgresCpuMs / traced.logins,
      mainThreadCpuMs: traced.mainThreadCpuMs / traced.logins,
      otherThreadsCpuMs: traced.otherThreadsCpuMs / traced.logins,
      verifyMainThreadCpuMs: verified.mainThreadCpuMs / verified.verifications,
      verifyOtherThreadsCpuMs: verified.otherThreadsCpuMs / verified.verifications,
    };

    const { memoryCost, timeCost, parallelism } = hasher.params;
    return {
      title: `Password login vs argon2id ceiling (m=${memoryCost} KiB, t=${timeCost}, p=${parallelism})`,
      rows: [
        { name: 'argon2id verify, raw (ceiling)', rps: Math.round(ceiling), extra: { verifications: count, concurrency, rounds: ROUNDS } },
        { name: 'HTTP floor: bare node:http, one verify per POST', rps: Math.round(httpFloor), extra: { verifications: count, concurrency, rounds: ROUNDS } },
        { name: 'POST /auth/login, right password', rps: Math.round(known), extra: { logins: count, concurrency, rounds: ROUNDS } },
        { name: `POST /auth/login, right password, ${concurrency * 2} in flight`, rps: Math.round(knownWide), extra: { logins: count, concurrency: concurrency * 2, rounds: ROUNDS } },
        { name: 'POST /auth/login, unknown email (dummy hash)', rps: Math.round(unknown), extra: { logins: count, concurrency, rounds: ROUNDS } },
      ],
      ratios: [
        { name: 'login / ceiling', value: Number((known / ceiling).toFixed(2)) },
        { name: 'HTTP floor / ceiling (the most any HTTP login can reach here)', value: Number((httpFloor / ceiling).toFixed(2)) },
        { name: 'login / HTTP floor (what auth itself adds)', value: Number((known / httpFloor).toFixed(2)) },
        { name: `login with ${concurrency * 2} in flight / ceiling`, value: Number((knownWide / ceiling).toFixed(2)) },
        { name: 'unknown-email login / right-password login', value: Number((unknown / known).toFixed(2)) },
      ],
      notes: [
        `Per right-password login: ${perLogin.statements.toFixed(1)} database statements (round trips), ${perLogin.mainThreadMs.toFixed(2)} ms of main-thread busy time (event-loop utilisation: it includes waits for a core), ${perLogin.loginMs.toFixed(1)} ms in all at ${concurrency} in flight, against ${perLogin.verifyMs.toFixed(1)} ms per argon2id verification at the same concurrency.`,
        `CPU per right-password login: ${perLogin.processCpuMs.toFixed(1)} ms in this process (argon2id, auth and the load client; ${perLogin.processSystemMs.toFixed(1)} ms of it in the kernel) + ${perLogin.postgresCpuMs.toFixed(1)} ms in PostgreSQL, against ${perLogin.verifyCpuMs.toFixed(1)} ms per raw verification (${perLogin.verifySystemMs.toFixed(1)} ms in the kernel); on ${availableParallelism()} cores whatever a login spends besides argon2id is taken from argon2id.`,
        `The same CPU by thread (Linux /proc, in clock ticks): a login costs ${perLogin.mainThreadCpuMs.toFixed(1)} ms on the main thread (auth's HTTP, routing, SQL building, the pg driver, and the load client) and ${perLogin.otherThreadsCpuMs.toFixed(1)} ms on the other threads (argon2id on libuv's pool, V8's helpers); a raw verification costs ${perLogin.verifyOtherThreadsCpuMs.toFixed(1)} ms on the other threads and ${perLogin.verifyMainThreadCpuMs.toFixed(1)} ms on the main thread. What a login adds to argon2id is the main thread's share, PostgreSQL's, and any growth of the pool threads' share (argon2id slowed by sharing the cores and caches).`,
        `libuv thread pool: UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}; argon2id runs there, ${concurrency} at a time; a login's database waits leave a thread idle, which costs argon2id only when the pool, not the CPU, is what is short (${concurrency} threads on ${availableParallelism()} cores).`,
        'Same process, same machine, same run; rows interleaved over rounds, best round kept; rate limits off; no SMTP in login.',
        'A ratio near 1 means argon2id dominates the login path; the unknown-email ratio near 1 means timing does not reveal accounts.',
      ],
    };
  } finally {
    agent.destroy();
    await floor?.close();
    await instance.stop();
  }
}

/**
 * The least an HTTP login can cost: a bare node:http server in this process that reads the same
 * JSON body, runs one argon2id verification of the stored hash and answers a small JSON body;
 * no framework, no database, no session. Loaded by the same client at the same concurrency, its
 * rate is the most any login over HTTP could reach against the ceiling on these cores.
 */
async function startHttpFloor(hasher: { verify: (stored: string, password: string) => Promise<boolean> }, stored: string) {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { password: string };
      void hasher.verify(stored, body.password).then((ok) => {
        res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify({ ok }));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const cpuMs = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;

/**
 * CPU of this process split into its main thread and all its other threads (libuv's pool, where
 * argon2id runs, and V8's helpers), in ms (Linux /proc, in clock ticks; zero elsewhere).
 */
function threadCpuMs(): { main: number; others: number } {
  const split = { main: 0, others: 0 };
  let tasks: string[] = [];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return split;
  }
  for (const task of tasks) split[Number(task) === process.pid ? 'main' : 'others'] += 1000 * ownCpuSeconds(`self/task/${task}`);
  return split;
}

function addThreadCpu(into: { mainThreadCpuMs: number; otherThreadsCpuMs: number }, before: { main: number; others: number }) {
  const now = threadCpuMs();
  into.mainThreadCpuMs += now.main - before.main;
  into.otherThreadsCpuMs += now.others - before.others;
}

/**
 * CPU time of the database's server processes (Linux: /proc, in clock ticks), so a login's cost
 * includes what PostgreSQL spends on its statements; zero where /proc is absent.
 */
function postgresBackendCpu(db: { execute: (query: string) => PromiseLike<{ rows: Record<string, unknown>[] }> }) {
  const sample = async () => {
    const { rows } = await db.execute('select pid from pg_stat_activity where datname = current_database()');
    return new Map(rows.map((row) => [Number(row.pid), 1000 * ownCpuSeconds(Number(row.pid))]));
  };
  return {
    sample,
    /** Milliseconds of CPU the backends spent since `before` (backends opened meanwhile from zero). */
    async since(before: Map<number, number>): Promise<number> {
      let ms = 0;
      for (const [pid, now] of await sample()) ms += now - (before.get(pid) ?? 0);
      return ms;
    },
  };
}

/**
 * A CPU profile of the main thread kept only for the stretches between `resume` and `pause` (the
 * right-password rows), so set-up, the ceiling rows and the unknown-email rows stay out of it;
 * written to `file` by `stop`. V8's profile clock and `process.hrtime` are both the monotonic clock.
 */
async function startProfiler(file: string | undefined) {
  if (!file) return null;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  const micros = () => Number(process.hrtime.bigint() / 1000n);
  const stretches: { from: number; to: number }[] = [];
  return {
    resume: async () => {
      stretches.push({ from: micros(), to: Infinity });
    },
    pause: async () => {
      stretches.at(-1)!.to = micros();
    },
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      const samples: number[] = [];
      const timeDeltas: number[] = [];
      let at = profile.startTime;
      let kept = 0;
      (profile.samples ?? []).forEach((sample, index) => {
        const delta = profile.timeDeltas?.[index] ?? 0;
        at += delta;
        if (!stretches.some((stretch) => at > stretch.from && at <= stretch.to)) return;
        samples.push(sample);
        timeDeltas.push(delta);
        kept += delta;
      });
      writeFileSync(file, JSON.stringify({ ...profile, samples, timeDeltas, endTime: profile.startTime + kept }));
    },
  };
}
