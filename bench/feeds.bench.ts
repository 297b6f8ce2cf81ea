/**
 * Crawler feeds at scale. Seeds BENCH_FEED_POSTS published posts (default 1,000,000: 1,000
 * Malets × 1,000 posts) with SQL generate_series into a real PostgreSQL, then:
 * - streams every sitemap file the index lists (1,000,000 URLs in 20 files of 50,000) over
 *   loopback HTTP, recording wall time and the content-feed process's peak RSS while it streams;
 * - loads one Malet's RSS feed with autocannon, warm (200 with a body) and with If-None-Match
 *   (304 from the validators alone), directly and through the gateway.
 * content-feed and the gateway run as child processes (`node --import tsx src/main.ts`, as in
 * dev), so the load generator does not share their event loop and the service's memory is its
 * own: peak RSS is the kernel's high-water mark (VmHWM), reset just before streaming.
 */
import { resolve } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { createTestDatabase, freePort, startNodeProcess, startTestPostgres, waitForReady, type ManagedProcess } from '@malet/testing';
import { seedBulkContent } from '../services/content-feed/test/seed-sql';
import { loadHttp, type BenchRow, type BenchSection } from './lib';

const MB = 1024 * 1024;

/** Reads a response to the end without keeping it; returns bytes and `<url>` entries seen. */
async function drain(response: Response): Promise<{ bytes: number; urls: number }> {
  let bytes = 0;
  let urls = 0;
  let tail = '';
  const decoder = new TextDecoder();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
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

async function streamAllSitemaps(baseUrl: string, servicePid: number) {
  const reset = resetPeakMemory(servicePid);
  const before = residentMemory(servicePid);
  const started = process.hrtime.bigint();
  const index = await (await fetch(`${baseUrl}/sitemap.xml`)).text();
  const files = [...index.matchAll(/<loc>[^<]*?(\/sitemap-[a-z0-9-]+\.xml)<\/loc>/g)].map((match) => match[1]!);
  let bytes = 0;
  let urls = 0;
  let slowestMs = 0;
  for (const file of files) {
    const fileStarted = process.hrtime.bigint();
    const response = await fetch(`${baseUrl}${file}`);
    if (response.status !== 200) throw new Error(`${file} answered ${response.status}`);
    const result = await drain(response);
    bytes += result.bytes;
    urls += result.urls;
    slowestMs = Math.max(slowestMs, Number(process.hrtime.bigint() - fileStarted) / 1e6);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const after = residentMemory(servicePid);
  return {
    seconds,
    files: files.length,
    urls,
    bytes,
    slowestMs,
    memory: reset && before && after ? { baselineRssMb: before.rssMb, peakRssMb: after.peakMb } : null,
  };
}

async function rssRows(label: string, url: string): Promise<BenchRow[]> {
  const warm = await fetch(url);
  if (warm.status !== 200) throw new Error(`${url} answered ${warm.status}`);
  const etag = warm.headers.get('etag')!;
  const bytes = (await warm.arrayBuffer()).byteLength;
  const fresh = await loadHttp({ name: `RSS ${label}: warm (200, ${Math.round(bytes / 1024)} KB)`, url });
  const notModified = await loadHttp({
    name: `RSS ${label}: If-None-Match (304)`,
    url,
    headers: { 'if-none-match': etag },
    expectStatus: 304,
  });
  return [fresh, notModified];
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
    const extra: Record<string, number> = {
      seconds: Number(streamed.seconds.toFixed(2)),
      mb: Number((streamed.bytes / MB).toFixed(1)),
      slowestFileMs: Math.round(streamed.slowestMs),
    };
    if (streamed.memory) {
      extra.baselineRssMb = Math.round(streamed.memory.baselineRssMb);
      extra.peakRssMb = Math.round(streamed.memory.peakRssMb);
      extra.peakRssDeltaMb = Math.round(streamed.memory.peakRssMb - streamed.memory.baselineRssMb);
    } else {
      notes.push('Peak memory not measured: /proc/<pid>/status and clear_refs are Linux-only.');
    }
    const rows: BenchRow[] = [
      { name: `stream all sitemaps (${streamed.files} files, ${streamed.urls.toLocaleString('en')} URLs)`, rps: Math.round(streamed.urls / streamed.seconds), extra },
    ];

    const rssPath = '/rss/m/bulk-1/blogs.xml';
    const direct = await rssRows('direct', `${contentFeedUrl}${rssPath}`);
    rows.push(...direct);

    let viaGateway: BenchRow[] = [];
    try {
      const gatewayUrl = `http://127.0.0.1:${await freePort()}`;
      const gateway = startNodeProcess({
        name: 'gateway',
        entry: 'gateway/src/main.ts',
        cwd: root,
        env: { NODE_ENV: 'test', LOG_LEVEL: 'silent', HOST: '127.0.0.1', PORT: new URL(gatewayUrl).port, CONTENT_FEED_URL: contentFeedUrl },
      });
      processes.push(gateway);
      await waitForReady(gateway, `${gatewayUrl}/ready`);
      viaGateway = await rssRows('through gateway', `${gatewayUrl}${rssPath}`);
      rows.push(...viaGateway);
    } catch (error) {
      notes.push(`Gateway rows skipped: ${(error as Error).message.split('\n')[0]}`);
    }

    notes.push(
      'Sitemaps: read one file after another, as a crawler does; peak RSS is the content-feed process\'s own high-water mark while streaming.',
      'RSS: the newest 50 posts of a Malet with 1,000 (bodies cached by ETag after the first request).',
    );
    const ratios = [{ name: 'direct: 304 / warm', value: Number((direct[1]!.rps / direct[0]!.rps).toFixed(2)) }];
    if (viaGateway.length) {
      ratios.push(
        { name: 'gateway: 304 / warm', value: Number((viaGateway[1]!.rps / viaGateway[0]!.rps).toFixed(2)) },
        { name: 'warm: gateway / direct', value: Number((viaGateway[0]!.rps / direct[0]!.rps).toFixed(2)) },
      );
    }
    return { title: `Crawler feeds: sitemaps over ${totalPosts.toLocaleString('en')} posts, RSS (content-feed, gateway)`, rows, ratios, notes };
  } finally {
    await Promise.all(processes.map((child) => child.stop()));
    await pool.end();
    await database.drop();
    await postgres.stop();
  }
}
