import autocannon from 'autocannon';
import pg from 'pg';
import { hashToken, mintToken } from '../services/auth/src/core/tokens';

/** One section of `pnpm bench` output; every file `bench/*.bench.ts` exports `run(): Promise<BenchSection>`. */
export interface BenchSection {
  title: string;
  rows: BenchRow[];
  /** Ratios between rows of this section, computed in the same run on the same machine. */
  ratios?: { name: string; value: number }[];
  notes?: string[];
}

export interface BenchRow {
  name: string;
  /** Requests (or operations) per second. */
  rps: number;
  p50Ms?: number;
  p99Ms?: number;
  extra?: Record<string, string | number>;
}

/**
 * Loads one HTTP endpoint with autocannon over loopback for a fixed duration and reports
 * throughput and latency. Non-2xx answers are counted and make the row fail loudly.
 */
export async function loadHttp(options: {
  name: string;
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections?: number;
  durationSeconds?: number;
  /** Per-request variation (e.g. a unique token per request). */
  requests?: autocannon.Request[];
  expectStatus?: number;
}): Promise<BenchRow> {
  const result = await autocannon({
    url: options.url,
    method: options.method ?? 'GET',
    headers: options.headers,
    body: options.body,
    connections: options.connections ?? 16,
    duration: options.durationSeconds ?? Number(process.env.BENCH_SECONDS ?? 10),
    requests: options.requests,
  });
  const expected = options.expectStatus ?? 200;
  const bad = result.non2xx + result.errors + result.timeouts;
  if (expected === 200 && bad > 0) {
    throw new Error(`${options.name}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  return {
    name: options.name,
    rps: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
  };
}

/** Times `fn` over `iterations` calls, `concurrency` at a time; returns operations per second. */
export async function opsPerSecond(iterations: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < iterations) await fn(next++);
    }),
  );
  return iterations / (Number(process.hrtime.bigint() - started) / 1e9);
}

/**
 * `count` new sessions of `userId`, stored as auth stores them (the hash only), valid for a day:
 * returns their tokens. For rows that need many distinct valid credentials.
 */
export async function storeSessions(databaseUrl: string, userId: string, count: number): Promise<string[]> {
  const tokens = Array.from({ length: count }, () => mintToken('sess'));
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    for (let index = 0; index < tokens.length; index += 5_000) {
      await db.query(`insert into sessions (user_id, token_hash, expires_at, amr) select $1, unnest($2::text[]), now() + interval '1 day', '{bench}'`, [
        userId,
        tokens.slice(index, index + 5_000).map(hashToken),
      ]);
    }
  } finally {
    await db.end();
  }
  return tokens;
}
