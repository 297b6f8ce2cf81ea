/**
 * `pnpm soak`: the whole suite (real processes on a PostgreSQL and a Redis of its own) under a
 * client mix through the gateway: password sign-ups and sign-ins, GraphQL `me` across four
 * subgraphs, sitemaps. First it measures capacity (unpaced, SOAK_CAPACITY_SECONDS), then runs
 * SOAK_MINUTES (10) paced at SOAK_LOAD_RATIO (0.7) of it, sampling every process's resident
 * memory. It passes with zero errors and memory growth under 10% per process. Resident memory
 * saws up and down with garbage collection (a sample taken just after a major GC reads 20% low),
 * so growth compares the peak of the first two minutes after a warm-up with the peak of the last
 * two. Not part of CI: it takes as long as it says. Figures go to bench/results/soak.json.
 */
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSmtpCatcher, startTestPostgres, startTestRedis } from '@malet/testing';
import { clientOperations, startLoad, summarize, type LoadRecord } from '../test/support/load';
import { startSuite } from '../test/support/suite';

const minutes = Number(process.env.SOAK_MINUTES ?? 10);
const capacitySeconds = Number(process.env.SOAK_CAPACITY_SECONDS ?? 30);
const ratio = Number(process.env.SOAK_LOAD_RATIO ?? 0.7);
const warmupSeconds = Number(process.env.SOAK_WARMUP_SECONDS ?? 120);
const windowMs = 120_000;
const workers = Number(process.env.SOAK_WORKERS ?? 32);

function residentBytes(pid: number): number | null {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((entry) => entry.startsWith('VmRSS:'));
    return line ? Number(line.replace(/\D+/g, '')) * 1024 : null;
  } catch {
    return null;
  }
}

const peak = (values: number[]) => (values.length === 0 ? 0 : Math.max(...values));
const failures = (records: LoadRecord[]) => records.filter((record) => !record.ok && record.code !== 'skipped');
const log = (message: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);

const postgres = await startTestPostgres();
const redis = await startTestRedis();
const smtp = await startSmtpCatcher();
const suite = await startSuite({
  postgresAdminUrl: postgres.adminUrl,
  redisUrl: redis.url,
  gateways: 1,
  // The load plays many clients behind an ingress on loopback, naming each in X-Forwarded-For.
  env: { auth: { SMTP_URL: smtp.url }, gateway: { TRUST_PROXY: 'loopback' } },
});
let exitCode = 1;
try {
  const { token } = await suite.devToken('user@example.com');
  const mix = () => {
    const ops = clientOperations({ gatewayUrl: suite.gatewayUrl, token });
    // Per 6 requests: 1 sign-up, 1 sign-in, 2 GraphQL, 2 feeds.
    return { ops, list: [ops.signUp, ops.graphqlMe, ops.feed, ops.signIn, ops.graphqlMe, ops.feed] };
  };

  log(`measuring capacity: ${workers} workers, unpaced, ${capacitySeconds} s`);
  const probe = mix();
  const unpaced = startLoad({ operations: probe.list, workers });
  await sleep(capacitySeconds * 1000);
  const probeRecords = await unpaced.stop();
  const capacity = probeRecords.filter((record) => record.code !== 'skipped').length / capacitySeconds;
  const rate = Math.max(1, Math.round(capacity * ratio));
  log(`capacity ${capacity.toFixed(1)} req/s (${failures(probeRecords).length} errors while measuring); soaking at ${rate} req/s for ${minutes} min`);

  const soak = mix();
  const processes = suite.processes.filter((process) => process.child.exitCode === null);
  const samples: { at: number; rss: Record<string, number> }[] = [];
  const load = startLoad({ operations: soak.list, workers, ratePerSecond: rate });
  const started = Date.now();
  const ends = started + (warmupSeconds + minutes * 60) * 1000;
  while (Date.now() < ends) {
    await sleep(10_000);
    const rss: Record<string, number> = {};
    for (const process of processes) {
      const bytes = residentBytes(process.child.pid!);
      if (bytes !== null) rss[process.name] = bytes;
    }
    samples.push({ at: Date.now(), rss });
    const done = load.records.length;
    log(`${Math.round((Date.now() - started) / 1000)} s: ${done} requests, ${failures(load.records).length} errors, rss ${Object.entries(rss).map(([name, bytes]) => `${name} ${(bytes / 2 ** 20).toFixed(0)}M`).join(' ')}`);
  }
  const records = await load.stop();
  const measured = records.filter((record) => record.at >= started + warmupSeconds * 1000);
  const errors = failures(records);
  const firstWindow = samples.filter((sample) => sample.at >= started + warmupSeconds * 1000 && sample.at < started + warmupSeconds * 1000 + windowMs);
  const lastWindow = samples.filter((sample) => sample.at >= ends - windowMs);
  const memory = Object.fromEntries(
    processes.map((process) => {
      const first = peak(firstWindow.map((sample) => sample.rss[process.name] ?? 0));
      const last = peak(lastWindow.map((sample) => sample.rss[process.name] ?? 0));
      return [process.name, { firstMiB: +(first / 2 ** 20).toFixed(1), lastMiB: +(last / 2 ** 20).toFixed(1), growthPercent: first ? +(((last - first) / first) * 100).toFixed(1) : null }];
    }),
  );
  const latencies = measured.map((record) => record.ms).sort((a, b) => a - b);
  const result = {
    at: new Date().toISOString(),
    memoryMeasure: `peak RSS of the first ${windowMs / 60_000} min after a ${warmupSeconds} s warm-up against the peak of the last ${windowMs / 60_000} min`,
    minutes,
    capacityRps: +capacity.toFixed(1),
    targetRps: rate,
    achievedRps: +(measured.length / (minutes * 60)).toFixed(1),
    requests: records.length,
    errors: errors.length,
    outcomes: summarize(records),
    latencyMs: { p50: +latencies[Math.floor(latencies.length * 0.5)]!.toFixed(1), p99: +latencies[Math.floor(latencies.length * 0.99)]!.toFixed(1) },
    memory,
  };
  console.log(JSON.stringify(result, null, 2));
  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
  writeFileSync(join(import.meta.dirname, 'results/soak.json'), `${JSON.stringify(result, null, 2)}\n`);
  const grew = Object.entries(memory).filter(([, figures]) => (figures.growthPercent ?? 0) >= 10);
  if (errors.length > 0) console.log(`FAIL: ${errors.length} errors: ${JSON.stringify(summarize(errors))}`);
  if (grew.length > 0) console.log(`FAIL: memory grew 10% or more: ${grew.map(([name]) => name).join(', ')}`);
  exitCode = errors.length === 0 && grew.length === 0 ? 0 : 1;
  if (exitCode === 0) console.log('PASS: zero errors, memory growth under 10% per process');
} finally {
  await suite.stop();
  await smtp.stop();
  await redis.stop();
  await postgres.stop();
}
process.exit(exitCode);
