import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SITEINDEX_XSD, SITEMAP_XSD, waitFor, xmllint } from '@malet/testing';
import { seedBulkContent } from '../src/data/bulk-content.seed';
import type { FeedSink } from '../src/domain/feeds/feed-sink';
import { SITEMAP_BATCH_SIZE, URLS_PER_SITEMAP } from '../src/domain/feeds/sitemap';
import { startContentFeedTestInstance, TEST_PUBLIC_BASE_URL, type ContentFeedTestInstance } from './content-feed-test-instance';

// 120 Malets × 500 published posts = 60,000: enough to cross the 50,000-URL limit once.
const MALETS = 120;
const POSTS_PER_MALET = 500;
const TOTAL = MALETS * POSTS_PER_MALET;

let cf: ContentFeedTestInstance;

beforeAll(async () => {
  cf = await startContentFeedTestInstance();
  await seedBulkContent(cf.pool, { malets: MALETS, postsPerMalet: POSTS_PER_MALET, draftsPerMalet: 2 });
}, 120_000);
afterAll(() => cf?.stop());

function locs(xml: string): string[] {
  return [...xml.matchAll(/<loc>([^<]*)<\/loc>/g)].map((match) => match[1]!);
}

describe('sitemaps over 50,000 URLs', () => {
  it('splits blog posts into numbered files that the index lists, each schema-valid and within limits', async () => {
    const index = await (await cf.fetchFeed('/sitemap.xml')).text();
    expect((await xmllint(index, SITEINDEX_XSD)).ok).toBe(true);
    expect(locs(index)).toEqual([
      `${TEST_PUBLIC_BASE_URL}/sitemap-malets.xml`,
      `${TEST_PUBLIC_BASE_URL}/sitemap-blogs.xml`,
      `${TEST_PUBLIC_BASE_URL}/sitemap-blogs-2.xml`,
    ]);

    const first = await (await cf.fetchFeed('/sitemap-blogs.xml')).text();
    const second = await (await cf.fetchFeed('/sitemap-blogs-2.xml')).text();
    for (const file of [first, second]) {
      const lint = await xmllint(file, SITEMAP_XSD);
      expect(lint.ok, lint.output.slice(0, 500)).toBe(true);
      expect(Buffer.byteLength(file)).toBeLessThan(50 * 1024 * 1024);
    }
    const firstLocs = locs(first);
    const secondLocs = locs(second);
    expect(firstLocs).toHaveLength(URLS_PER_SITEMAP);
    expect(secondLocs).toHaveLength(TOTAL - URLS_PER_SITEMAP);
    // Every published post exactly once across the parts; drafts (post-501, post-502) never.
    const all = new Set([...firstLocs, ...secondLocs]);
    expect(all.size).toBe(TOTAL);
    expect([...all].some((loc) => /\/blog\/post-50[12]$/.test(loc))).toBe(false);
    expect((await cf.fetchFeed('/sitemap-blogs-3.xml')).status).toBe(404);
  });

  it('streams over HTTP in bounded batches with bounded memory', async () => {
    const batches = vi.spyOn(cf.feedRepository, 'postBatch');
    const heapBefore = process.memoryUsage().heapUsed;
    let peakHeap = heapBefore;
    const bytes = await new Promise<number>((resolve, reject) => {
      const req = request(new URL('/sitemap-blogs.xml', cf.url), (res) => {
        let received = 0;
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
        });
        res.on('end', () => resolve(received));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
    expect(bytes).toBeGreaterThan(URLS_PER_SITEMAP * 80);
    expect(batches).toHaveBeenCalledTimes(Math.ceil(URLS_PER_SITEMAP / SITEMAP_BATCH_SIZE));
    for (const [, limit] of batches.mock.calls) expect(limit).toBeLessThanOrEqual(SITEMAP_BATCH_SIZE);
    // Loose bound: this process holds the server and the reader, but never a whole file's rows.
    expect(peakHeap - heapBefore).toBeLessThan(64 * 1024 * 1024);
    vi.restoreAllMocks();
  });

  it('reads the next batch only once the reader took the previous one (back-pressure)', async () => {
    const batches = vi.spyOn(cf.feedRepository, 'postBatch');
    const feed = await cf.feedService.prepare({ kind: 'sitemap-blogs', part: 1 });
    let writes = 0;
    let release: (() => void) | null = null;
    // A reader that stalls on the third write (declaration, batch 1, batch 2).
    const sink: FeedSink = {
      closed: false,
      write: () => (++writes === 3 ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve()),
    };
    const done = feed.write(sink);
    await waitFor(() => release !== null, { what: 'the stalled write' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(batches).toHaveBeenCalledTimes(2);
    release!();
    await done;
    expect(batches).toHaveBeenCalledTimes(Math.ceil(URLS_PER_SITEMAP / SITEMAP_BATCH_SIZE));
    vi.restoreAllMocks();
  });

  it('stops reading the database when the reader goes away mid-file', async () => {
    const batches = vi.spyOn(cf.feedRepository, 'postBatch');
    const feed = await cf.feedService.prepare({ kind: 'sitemap-blogs', part: 1 });
    let writes = 0;
    const sink = {
      closed: false,
      async write() {
        // The client disconnects after the first batch arrives.
        if (++writes === 2) this.closed = true;
      },
    };
    await feed.write(sink);
    expect(batches).toHaveBeenCalledTimes(1);
    vi.restoreAllMocks();
  });
});
