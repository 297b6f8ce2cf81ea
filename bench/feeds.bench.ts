/**
 * Crawler feeds at scale. Seeds BENCH_FEED_POSTS published posts (default 1,000,000: 1,000
 * Malets × 1,000 posts) with SQL generate_series into a real PostgreSQL, then:
 * - streams every sitemap file the index lists (1,000,000 URLs in 20 files of 50,000) over
 *   loopback HTTP, recording wall time and the content-feed process's peak RSS while it streams;
 * - loads one Malet's RSS feed with autocannon, warm (200 with a body) and with If-None-Match
 *   (304 from the validators alone), directly and through the gateway; through the gateway
 *   also as a gzip-accepting client, beside the plain one, so the cost of coding shows;
 * - streams every sitemap file through the gateway as a gzip-accepting crawler, recording the
 *   gateway process's peak RSS: coding streams, so it stays flat however large the files.
 * content-feed and the gateway run as child processes (`node --import tsx src/main.ts`, as in
 * dev), so the load generator does not share their event loop and the service's memory is its
 * own: peak RSS is the kernel's high-water mark (VmHWM), reset just before streaming.
 */
import { resolve } from 'node:path';
import { GATEWAY_NODE_FLAGS } from '../gateway/src/node-flags';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createGunzip } from 'node:zlib';
import pg from 'pg';
import { createTestDatabase, freePort, startNodeProcess, startTestPostgres, waitForReady, type ManagedProcess } from '@malet/testing';
import { seedBulkContent } from '@malet/content-feed/bulk-content-seed';
import { loadHttp, type BenchRow, type BenchSection } from './lib';

const MB = 1024 * 1024;

/** Reads a body to the end without keeping it; returns bytes and `<url>` entries seen. */
async function drain(body: AsyncIterable<Uint8Array>): Promise<{ bytes: number; urls: number }> {
  let bytes = 0;
  let urls = 0;
  let tail = '';
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    bytes += chunk.length;
    // Count entries across chunk boundaries: carry the last few characters over.
    const text = tail + decoder.decode(chunk, { stream: true });
    urls += text.split('<url>').length - 1;
    tail = text.slice(-4);
  }
  return { bytes, urls };
}

/** A Linux process's resident memory now and its high-water mark, in MB (null elsewhere). */
function residentMemory(pid: number): { rssMb: number; peakMb: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]);
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** Resets the kernel's peak-RSS counter of `pid` (clear_refs 5), so VmHWM covers what follows. */
function resetPeakMemory(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Fetches one sitemap file to the end: `bytes` as they crossed the wire, `urls` in the decoded document. */
type SitemapReader = (url: string) => Promise<{ bytes: number; urls: number }>;

const readIdentity: SitemapReader = async (url) => {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
  return drain(response.body as unknown as AsyncIterable<Uint8Array>);
};

/** As a gzip-accepting crawler; node:http, because fetch would decode on its own and hide the wire bytes. */
const readGzip: SitemapReader = (url) =>
  new Promise((resolveRead, reject) => {
    request(url, { headers: { 'accept-encoding': 'gzip' } }, (response) => {
      if (response.statusCode !== 200 || response.headers['content-encoding'] !== 'gzip') {
        response.resume();
        reject(new Error(`${url} answered ${response.statusCode} ${response.headers['content-encoding'] ?? 'identity'}`));
        return;
      }
      let wire = 0;
      response.on('data', (chunk: Buffer) => (wire += chunk.length));
      drain(response.pipe(createGunzip())).then((decoded) => resolveRead({ bytes: wire, urls: decoded.urls }), reject);
    })
      .on('error', reject)
      .end();
  });

/** Streams every file the index lists, one after another; memory is `pid`'s, the process that serves or codes. */
async function streamAllSitemaps(baseUrl: string, pid: number, read: SitemapReader = readIdentity) {
  const reset = resetPeakMemory(pid);
  const before = residentMemory(pid);
  const started = process.hrtime.bigint();
  const index = await (await fetch(`${baseUrl}/sitemap.xml`)).text();
  const files = [...index.matchAll(/<loc>[^<]*?(\/sitemap-[a-z0-9-]+\.xml)<\/loc>/g)].map((match) => match[1]!);
  let bytes = 0;
  let urls = 0;
  let slowestMs = 0;
  for (const file of files) {
    const fileStarted = process.hrtime.bigint();
    const result = await read(`${baseUrl}${file}`);
    bytes += result.bytes;
    urls += result.urls;
    slowestMs = Math.max(slowestMs, Number(process.hrtime.bigint() - fileStarted) / 1e6);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const after = residentMemory(pid);
  return {
    seconds,
    files: files.length,
    urls,
    bytes,
    slowestMs,
    memory: reset && before && after ? { baselineRssMb: before.rssMb, peakRssMb: after.peakMb } : null,
  };
}

/** The body's size on the wire, coded or not (node:http: fetch would decode it). */
function wireSize(url: string, headers: Record<string, string>): Promise<{ status: number; etag: string; bytes: number }> {
  return new Promise((resolveSize, reject) => {
    request(url, { headers }, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.on('end', () => resolveSize({ status: response.statusCode!, etag: String(response.headers.etag), bytes }));
      response.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

/** Warm and 304 rows for one client; `acceptEncoding` absent is a client that asks for no coding. */
async function rssRows(label: string, url: string, acceptEncoding?: string): Promise<BenchRow[]> {
  const coding: Record<string, string> = acceptEncoding ? { 'accept-encoding': acceptEncoding } : {};
  const warm = await wireSize(url, coding);
  if (warm.status !== 200) throw new Error(`${url} answered ${warm.status}`);
  const fresh = await loadHttp({ name: `RSS ${label}: warm (200, ${Math.round(warm.bytes / 1024)} KB)`, url, headers: coding });
  const notModified = await loadHttp({
    name: `RSS ${label}: If-None-Match (304)`,
    url,
    headers: { ...coding, 'if-none-match': warm.etag },
    expectStatus: 304,
  });
  return [fresh, notModified];
}

function sitemapRow(name: string, streamed: Awaited<ReturnType<typeof streamAllSitemaps>>): BenchRow {
  const extra: Record<string, number> = {
    seconds: Number(streamed.seconds.toFixed(2)),
    mb: Number((streamed.bytes / MB).toFixed(1)),
    slowestFileMs: Math.round(streamed.slowestMs),
  };
  if (streamed.memory) {
    extra.baselineRssMb = Math.round(streamed.memory.baselineRssMb);
    extra.peakRssMb = Math.round(streamed.memory.peakRssMb);
    extra.peakRssDeltaMb = Math.round(streamed.memory.peakRssMb - streamed.memory.baselineRssMb);
  }
  return { name, rps: Math.round(streamed.urls / streamed.seconds), extra };
}

export async function run(): Promise<BenchSection> {
  const totalPosts = Number(process.env.BENCH_FEED_POSTS ?? 1_000_000);
  const postsPerMalet = Math.min(1_000, totalPosts);
  const maletCount = Math.max(1, Math.ceil(totalPosts / postsPerMalet));
  const root = resolve(import.meta.dirname, '..');
  const postgres = await startTestPostgres();
  const database = await createTestDatabase(postgres.adminUrl, 'bench_feeds');
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  const notes: string[] = [];
  const processes: ManagedProcess[] = [];
  try {
    // The service applies its migrations at start-up; the bulk rows go in after.
    const contentFeedUrl = `http://127.0.0.1:${await freePort()}`;
    const contentFeed = startNodeProcess({
      name: 'content-feed',
      entry: 'services/content-feed/src/main.ts',
      cwd: root,
      env: { NODE_ENV: 'test', LOG_LEVEL: 'silent', HOST: '127.0.0.1', PORT: new URL(contentFeedUrl).port, DATABASE_URL: database.url },
    });
    processes.push(contentFeed);
    await waitForReady(contentFeed, `${contentFeedUrl}/ready`);

    const seedStarted = Date.now();
    await seedBulkContent(pool, { malets: maletCount, postsPerMalet });
    // Counting a million published posts stays an index-only scan once the visibility map is set.
    await pool.query('vacuum analyze blog_posts');
    notes.push(`Seeded ${(maletCount * postsPerMalet).toLocaleString('en')} published posts in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s (generate_series).`);

    const streamed = await streamAllSitemaps(contentFeedUrl, contentFeed.child.pid!);
    if (!streamed.memory) notes.push('Peak memory not measured: /proc/<pid>/status and clear_refs are Linux-only.');
    const rows: BenchRow[] = [sitemapRow(`stream all sitemaps (${streamed.files} files, ${streamed.urls.toLocaleString('en')} URLs)`, streamed)];

    const rssPath = '/rss/m/bulk-1/blogs.xml';
    const direct = await rssRows('direct', `${contentFeedUrl}${rssPath}`);
    rows.push(...direct);

    let viaGateway: BenchRow[] = [];
    let viaGatewayGzip: BenchRow[] = [];
    let gzipRatio = 0;
    try {
      const gatewayUrl = `http://127.0.0.1:${await freePort()}`;
      const gateway = startNodeProcess({
        name: 'gateway',
        entry: 'gateway/src/main.ts',
        cwd: root,
        nodeFlags: GATEWAY_NODE_FLAGS,
        env: { NODE_ENV: 'test', LOG_LEVEL: 'silent', HOST: '127.0.0.1', PORT: new URL(gatewayUrl).port, CONTENT_FEED_URL: contentFeedUrl },
      });
      processes.push(gateway);
      await waitForReady(gateway, `${gatewayUrl}/ready`);
      viaGateway = await rssRows('through gateway', `${gatewayUrl}${rssPath}`);
      viaGatewayGzip = await rssRows('through gateway, gzip', `${gatewayUrl}${rssPath}`, 'gzip');
      rows.push(...viaGateway, ...viaGatewayGzip);
      const coded = await streamAllSitemaps(gatewayUrl, gateway.child.pid!, readGzip);
      rows.push(sitemapRow(`stream all sitemaps through gateway, gzip (${coded.urls.toLocaleString('en')} URLs)`, coded));
      gzipRatio = streamed.bytes / coded.bytes;
    } catch (error) {
      notes.push(`Gateway rows skipped: ${(error as Error).message.split('\n')[0]}`);
    }

    notes.push(
      'Sitemaps: read one file after another, as a crawler does; peak RSS is the content-feed process\'s own high-water mark while streaming.',
      'RSS: the newest 50 posts of a Malet with 1,000 (bodies cached by ETag after the first request).',
      'Gzip rows: the gateway codes every 200 (content-feed always sends identity); KB and mb are bytes on the wire, peak RSS for the gateway row is the gateway process\'s.',
    );
    const ratios = [{ name: 'direct: 304 / warm', value: Number((direct[1]!.rps / direct[0]!.rps).toFixed(2)) }];
    if (viaGateway.length) {
      ratios.push(
        { name: 'gateway: 304 / warm', value: Number((viaGateway[1]!.rps / viaGateway[0]!.rps).toFixed(2)) },
        { name: 'warm: gateway / direct', value: Number((viaGateway[0]!.rps / direct[0]!.rps).toFixed(2)) },
      );
    }
    if (viaGatewayGzip.length) {
      ratios.push(
        { name: 'gateway warm: gzip / plain', value: Number((viaGatewayGzip[0]!.rps / viaGateway[0]!.rps).toFixed(2)) },
      );
    }
    if (gzipRatio > 0) ratios.push({ name: 'sitemaps: identity bytes / gzip bytes', value: Number(gzipRatio.toFixed(1)) });
    return { title: `Crawler feeds: sitemaps over ${totalPosts.toLocaleString('en')} posts, RSS (content-feed, gateway)`, rows, ratios, notes };
  } finally {
    await Promise.all(processes.map((child) => child.stop()));
    await pool.end();
    await database.drop();
    await postgres.stop();
  }
}
