import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SITEINDEX_XSD, SITEMAP_XSD, xmllint } from '@malet/testing';
import { seedBulkContent } from '../src/data/bulk-content.seed';
import { URLS_PER_SITEMAP } from '../src/domain/feeds/sitemap';
import { startContentFeedTestInstance, TEST_PUBLIC_BASE_URL, type ContentFeedTestInstance } from './content-feed-test-instance';

// One Malet one post past the limit of a sitemap file, plus a small one beside it.
const POSTS = URLS_PER_SITEMAP + 1;
let cf: ContentFeedTestInstance;

beforeAll(async () => {
  cf = await startContentFeedTestInstance();
  await seedBulkContent(cf.pool, { malets: 1, postsPerMalet: POSTS, draftsPerMalet: 1, prefix: 'huge' });
  await seedBulkContent(cf.pool, { malets: 1, postsPerMalet: 3, prefix: 'small' });
}, 120_000);
afterAll(() => cf?.stop());

const locs = (xml: string) => [...xml.matchAll(/<loc>([^<]*)<\/loc>/g)].map((match) => match[1]!);

describe("a Malet's blog sitemap past 50,000 posts", () => {
  it('becomes an index of numbered parts that hold every published post once, each schema-valid', async () => {
    const index = await (await cf.fetchFeed('/sitemap/m/huge-1/blogs.xml')).text();
    expect((await xmllint(index, SITEINDEX_XSD)).ok).toBe(true);
    expect(locs(index)).toEqual([`${TEST_PUBLIC_BASE_URL}/sitemap/m/huge-1/blogs-1.xml`, `${TEST_PUBLIC_BASE_URL}/sitemap/m/huge-1/blogs-2.xml`]);

    const parts = await Promise.all([1, 2].map(async (part) => (await cf.fetchFeed(`/sitemap/m/huge-1/blogs-${part}.xml`)).text()));
    for (const part of parts) {
      const lint = await xmllint(part, SITEMAP_XSD);
      expect(lint.ok, lint.output.slice(0, 500)).toBe(true);
    }
    expect(locs(parts[0]!)).toHaveLength(URLS_PER_SITEMAP);
    expect(locs(parts[1]!)).toHaveLength(1);
    const all = new Set(parts.flatMap(locs));
    expect(all.size).toBe(POSTS);
    // The draft (post-50002) is in no part.
    expect(all.has(`${TEST_PUBLIC_BASE_URL}/m/huge-1/blog/post-${POSTS + 1}`)).toBe(false);
  }, 120_000);

  it('answers 404 for parts that do not exist, and keeps a small Malet in one unnumbered file', async () => {
    for (const path of ['/sitemap/m/huge-1/blogs-3.xml', '/sitemap/m/huge-1/blogs-0.xml', '/sitemap/m/small-1/blogs-1.xml']) {
      const response = await cf.fetchFeed(path);
      expect(response.status, path).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/application\/xml/);
    }
    const small = await (await cf.fetchFeed('/sitemap/m/small-1/blogs.xml')).text();
    expect((await xmllint(small, SITEMAP_XSD)).ok).toBe(true);
    expect(locs(small)).toHaveLength(3);
  });

  it('serves a part conditionally like every feed (ETag, 304)', async () => {
    const first = await cf.fetchFeed('/sitemap/m/huge-1/blogs-2.xml');
    const etag = first.headers.get('etag')!;
    expect(etag).toBeTruthy();
    await first.arrayBuffer();
    const again = await cf.fetchFeed('/sitemap/m/huge-1/blogs-2.xml', { 'if-none-match': etag });
    expect(again.status).toBe(304);
  });
});
