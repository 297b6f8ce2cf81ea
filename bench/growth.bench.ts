/**
 * Growth, in one run: does a session check slow down as sessions pile up, and does sitemap
 * generation stay linear in the number of posts?
 *
 * - Session checks: auth (a child process pinned to core 0; autocannon on core 1) answers
 *   `POST /validate-token` for stored sessions, every request a different token (auth has no
 *   cache: each is a database look-up, a cache miss as the gateway sees it). Measured with
 *   10^3 sessions stored, then again after growing the table to BENCH_GROWTH_SESSIONS (10^6).
 *   Requests per auth core-second is the "per core" figure (PostgreSQL's own CPU is not in it).
 *   Each row also counts the sessions table's block reads per check (PostgreSQL's statistics):
 *   once table and indexes outgrow shared buffers, some come from outside them, which is what
 *   growth costs a check besides a deeper index.
 * - Sitemaps: content-feed streams every sitemap file over 10^4 published posts, then 10^5,
 *   then BENCH_GROWTH_POSTS (10^6); time per post should stay flat (linear total time).
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { seedBulkContent } from '@malet/content-feed/bulk-content-seed';
import { createTestDatabase, freePort, startTestPostgres } from '@malet/testing';
import { cpuSeconds, loadAverage, pinSelf, startEntryPinned, waitForUrl, type PinnedProcess } from './federation/processes';
import type { BenchRow, BenchSection } from './lib';

const root = resolve(import.meta.dirname, '..');

/** The n-th bench session token: well-formed (`sess_` and 43 base64url characters), reproducible in SQL. */
const tokenOf = (n: number) => `sess_${String(n).padStart(43, '0')}`;
const SQL_TOKEN = `'sess_' || lpad(n::text, 43, '0')`;

/**
 * Block reads of the sessions table and its indexes, from PostgreSQL's statistics: `hit` found in
 * shared buffers, `read` fetched from outside them (the OS page cache or the disk).
 */
async function sessionBlocks(db: pg.Client): Promise<{ hit: number; read: number }> {
  const { rows } = await db.query<{ hit: string; read: string }>(
    `select coalesce(heap_blks_hit, 0) + coalesce(idx_blks_hit, 0) as hit, coalesce(heap_blks_read, 0) + coalesce(idx_blks_read, 0) as read
     from pg_statio_user_tables where relname = 'sessions'`,
  );
  return { hit: Number(rows[0]?.hit ?? 0), read: Number(rows[0]?.read ?? 0) };
}

/**
 * A backend publishes its counts at most once a second (PostgreSQL 15's cumulative statistics),
 * so the counts have settled once two readings more than a second apart agree.
 */
async function settledSessionBlocks(db: pg.Client): Promise<{ hit: number; read: number }> {
  let last = await sessionBlocks(db);
  for (let attempt = 0; attempt < 10; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const now = await sessionBlocks(db);
    if (now.hit === last.hit && now.read === last.read) return now;
    last = now;
  }
  return last;
}

async function sessionChecks(options: { name: string; authUrl: string; auth: PinnedProcess; stored: number; seconds: number; db: pg.Client }): Promise<BenchRow> {
  let sent = 0;
  let wrong = 0;
  const blocksBefore = await settledSessionBlocks(options.db);
  const cpuBefore = cpuSeconds(options.auth.pid);
  const result = await autocannon({
    url: `${options.authUrl}/validate-token`,
    method: 'POST',
    connections: 16,
    duration: options.seconds,
    requests: [
      {
        // Spread over the whole table; a fixed stride (coprime with any size here) never repeats soon.
        setupRequest: (request) => ({ ...request, headers: { authorization: `Bearer ${tokenOf(1 + ((sent++ * 7_919) % options.stored))}` } }),
        onResponse: (status) => {
          if (status !== 200) wrong += 1;
        },
      },
    ],
  });
  const cpu = cpuSeconds(options.auth.pid) - cpuBefore;
  if (wrong > 0 || result.errors > 0) throw new Error(`${options.name}: ${wrong} refused, ${result.errors} errors`);
  const blocks = await settledSessionBlocks(options.db);
  const perCheck = (count: number) => Number((count / result.requests.total).toFixed(2));
  return {
    name: options.name,
    rps: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    extra: {
      'req per auth core-s': Math.round(result.requests.total / cpu),
      stored: options.stored,
      'blocks hit per check': perCheck(blocks.hit - blocksBefore.hit),
      'blocks read per check': perCheck(blocks.read - blocksBefore.read),
    },
  };
}

async function streamSitemaps(baseUrl: string) {
  const started = process.hrtime.bigint();
  const index = await (await fetch(`${baseUrl}/sitemap.xml`)).text();
  const files = [...index.matchAll(/<loc>[^<]*?(\/sitemap-[a-z0-9-]+\.xml)<\/loc>/g)].map((match) => match[1]!);
  let urls = 0;
  for (const file of files) {
    const body = await (await fetch(`${baseUrl}${file}`)).text();
    urls += body.split('<url>').length - 1;
  }
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, urls, files: files.length };
}

export async function run(): Promise<BenchSection> {
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const maxSessions = Number(process.env.BENCH_GROWTH_SESSIONS ?? 1_000_000);
  const maxPosts = Number(process.env.BENCH_GROWTH_POSTS ?? 1_000_000);
  const loadBefore = loadAverage();
  const restoreAffinity = pinSelf('1');
  const postgres = await startTestPostgres();
  const authDb = await createTestDatabase(postgres.adminUrl, 'bench_growth_auth');
  const feedDb = await createTestDatabase(postgres.adminUrl, 'bench_growth_feed');
  const started: PinnedProcess[] = [];
  const notes: string[] = [];
  try {
    const authUrl = `http://127.0.0.1:${await freePort()}`;
    const auth = startEntryPinned({
      name: 'auth',
      cores: '0',
      entry: 'services/auth/src/main.ts',
      cwd: root,
      env: {
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        HOST: '127.0.0.1',
        PORT: new URL(authUrl).port,
        DATABASE_URL: authDb.url,
        INTERNAL_TOKEN_SECRET: randomBytes(32).toString('hex'),
        DEV_MODE: 'true',
        COOKIE_SECURE: 'false',
        RATE_LIMITS_ENABLED: 'false',
        USERS_URL: 'http://127.0.0.1:9',
      },
    });
    started.push(auth);
    await waitForUrl(`${authUrl}/ready`, auth);
    const { user } = (await (
      await fetch(`${authUrl}/auth/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'user@example.com' }) })
    ).json()) as { user: { id: string } };

    const db = new pg.Client({ connectionString: authDb.url });
    await db.connect();
    const storeSessions = async (from: number, to: number) => {
      for (let start = from; start <= to; start += 200_000) {
        await db.query(
          `insert into sessions (user_id, token_hash, expires_at, amr)
           select $1, encode(sha256(convert_to(${SQL_TOKEN}, 'UTF8')), 'hex'), now() + interval '1 day', '{bench}'
           from generate_series($2::int, $3::int) n`,
          [user.id, start, Math.min(to, start + 199_999)],
        );
      }
      await db.query('vacuum analyze sessions');
    };
    const rows: BenchRow[] = [];
    await storeSessions(1, 1_000);
    await sessionChecks({ name: 'warm-up', authUrl, auth, stored: 1_000, seconds: 2, db });
    const small = await sessionChecks({ name: 'session check, 10^3 sessions stored', authUrl, auth, stored: 1_000, seconds, db });
    rows.push(small);
    const growStarted = Date.now();
    await storeSessions(1_001, maxSessions);
    notes.push(`grew sessions to ${maxSessions.toLocaleString('en')} in ${((Date.now() - growStarted) / 1000).toFixed(0)} s (generate_series)`);
    const large = await sessionChecks({ name: `session check, ${maxSessions.toLocaleString('en')} sessions stored`, authUrl, auth, stored: maxSessions, seconds, db });
    rows.push(large);
    const { rows: sizes } = await db.query<{ table_mb: string; indexes_mb: string; shared_buffers: string }>(
      `select round(pg_table_size('sessions') / 1048576.0) as table_mb, round(pg_indexes_size('sessions') / 1048576.0) as indexes_mb, current_setting('shared_buffers') as shared_buffers`,
    );
    notes.push(
      `sessions at ${maxSessions.toLocaleString('en')}: table ${sizes[0]!.table_mb} MB and indexes ${sizes[0]!.indexes_mb} MB against shared_buffers ${sizes[0]!.shared_buffers}; a block read (not hit) comes from outside PostgreSQL's cache, the OS page cache here`,
    );
    await db.end();

    const feedUrl = `http://127.0.0.1:${await freePort()}`;
    const feed = startEntryPinned({
      name: 'content-feed',
      cores: '0',
      entry: 'services/content-feed/src/main.ts',
      cwd: root,
      env: { NODE_ENV: 'test', LOG_LEVEL: 'silent', HOST: '127.0.0.1', PORT: new URL(feedUrl).port, DATABASE_URL: feedDb.url },
    });
    started.push(feed);
    await waitForUrl(`${feedUrl}/ready`, feed);
    const pool = new pg.Pool({ connectionString: feedDb.url, max: 2 });
    const perPost: { posts: number; msPerPost: number }[] = [];
    let seeded = 0;
    for (const posts of [10_000, 100_000, maxPosts].filter((size, index, all) => size <= maxPosts && all.indexOf(size) === index)) {
      const malets = (posts - seeded) / 1_000;
      await seedBulkContent(pool, { malets, postsPerMalet: 1_000, prefix: `grow${posts}` });
      await pool.query('vacuum analyze blog_posts');
      seeded = posts;
      const streamed = await streamSitemaps(feedUrl);
      if (streamed.urls < posts) throw new Error(`sitemaps listed ${streamed.urls} URLs for ${posts} posts`);
      perPost.push({ posts, msPerPost: (streamed.seconds * 1000) / streamed.urls });
      rows.push({
        name: `stream all sitemaps, ${posts.toLocaleString('en')} posts`,
        rps: Math.round(streamed.urls / streamed.seconds),
        extra: { seconds: Number(streamed.seconds.toFixed(2)), files: streamed.files, 'µs per URL': Number(((streamed.seconds * 1e6) / streamed.urls).toFixed(2)) },
      });
    }
    await pool.end();

    const first = perPost[0]!;
    const last = perPost[perPost.length - 1]!;
    return {
      title: 'Growth: session checks as sessions pile up, sitemaps as posts do',
      rows,
      ratios: [
        { name: `session check p99: ${maxSessions.toLocaleString('en')} / 10^3 stored`, value: (large.p99Ms ?? 0) / Math.max(small.p99Ms ?? 1, 1) },
        { name: `session check req/s: ${maxSessions.toLocaleString('en')} / 10^3 stored`, value: large.rps / small.rps },
        { name: `sitemap time per URL: ${last.posts.toLocaleString('en')} / ${first.posts.toLocaleString('en')} posts (1 = linear)`, value: last.msPerPost / first.msPerPost },
      ],
      notes: [
        ...notes,
        'session rows: each request a stored session, spread over the whole table, 16 connections; req per auth core-s counts the auth process only',
        `load average (1 min) before ${loadBefore.toFixed(2)}, after ${loadAverage().toFixed(2)} (2 cores)`,
      ],
    };
  } finally {
    await Promise.all(started.map((child) => child.stop()));
    restoreAffinity();
    await authDb.drop();
    await feedDb.drop();
    await postgres.stop();
  }
}
