import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { FeedRepository, MaletFeedHead } from '../../data/feed.repository';
import { contentErrors } from '../content.errors';
import type { FeedSink, PreparedFeed } from './feed-sink';
import { RSS_ITEM_LIMIT, writeRss } from './rss';
import {
  URLS_PER_SITEMAP,
  ascendingBatches,
  descendingBatches,
  mapBatches,
  sitemapParts,
  writeSitemapIndex,
  writeUrlset,
} from './sitemap';
import { createPublicUrls } from './urls';

export const SITEMAP_CONTENT_TYPE = 'application/xml; charset=utf-8';
export const RSS_CONTENT_TYPE = 'application/rss+xml; charset=utf-8';

/** Bump when the output format changes, so caches holding the old bytes revalidate. */
const FORMAT_VERSION = 1;

export type FeedRequest =
  | { kind: 'sitemap-index' }
  | { kind: 'sitemap-malets'; part: number }
  | { kind: 'sitemap-blogs'; part: number }
  /** `part` undefined is `blogs.xml`: the posts, or the index of numbered parts past 50,000. */
  | { kind: 'malet-blog-sitemap'; handle: string; part?: number }
  | { kind: 'malet-rss'; handle: string };

/** A strong ETag from the data that decides a feed's bytes: equal inputs, equal bytes. */
function entityTag(...parts: (string | number | null)[]): string {
  const digest = createHash('sha256').update(JSON.stringify([FORMAT_VERSION, ...parts])).digest('base64url');
  return `"${digest.slice(0, 32)}"`;
}

/**
 * Sitemaps and RSS. `prepare` reads only what decides the validators (counts and change
 * times), so a conditional request is answered without generating anything; `write` then
 * streams the body from the database in bounded batches.
 */
export function createFeedService(deps: { feeds: FeedRepository; publicBaseUrl: string }) {
  const { feeds, publicBaseUrl } = deps;
  const urls = createPublicUrls(publicBaseUrl);

  async function prepareSiteFeed(request: FeedRequest & { kind: 'sitemap-index' | 'sitemap-malets' | 'sitemap-blogs' }): Promise<PreparedFeed> {
    const stamp = await feeds.siteStamp();
    const lastmod = stamp.changedAt ?? new Date(0);
    const maletParts = sitemapParts(stamp.maletCount, URLS_PER_SITEMAP);
    const blogParts = sitemapParts(stamp.postCount, URLS_PER_SITEMAP);
    const part = request.kind === 'sitemap-index' ? 0 : request.part;
    const parts = request.kind === 'sitemap-malets' ? maletParts : blogParts;
    if (request.kind !== 'sitemap-index' && (part < 1 || part > parts)) {
      throw contentErrors.sitemapPartNotFound();
    }
    const base = {
      contentType: SITEMAP_CONTENT_TYPE,
      etag: entityTag(request.kind, part, stamp.maletCount, stamp.postCount, stamp.changedAt?.toISOString() ?? null, publicBaseUrl),
      lastModified: stamp.changedAt,
    };
    const offset = (part - 1) * URLS_PER_SITEMAP;

    if (request.kind === 'sitemap-index') {
      return {
        ...base,
        write: (sink) =>
          writeSitemapIndex(sink, [
            ...Array.from({ length: maletParts }, (_, i) => ({ loc: urls.sitemapPart('malets', i + 1), lastmod })),
            ...Array.from({ length: blogParts }, (_, i) => ({ loc: urls.sitemapPart('blogs', i + 1), lastmod })),
          ]),
      };
    }
    if (request.kind === 'sitemap-malets') {
      return {
        ...base,
        async write(sink) {
          const fromSeq = await feeds.maletSeqAt(offset);
          const batches = fromSeq === null ? emptyBatches() : ascendingBatches(feeds.maletBatch, { fromSeq, total: URLS_PER_SITEMAP });
          await writeUrlset(
            sink,
            mapBatches(batches, (row) => ({ loc: urls.malet(row.handle), lastmod: row.changedAt })),
            { loc: urls.home(), lastmod },
          );
        },
      };
    }
    return {
      ...base,
      async write(sink) {
        const fromSeq = await feeds.postSeqAt(offset);
        const batches = fromSeq === null ? emptyBatches() : ascendingBatches(feeds.postBatch, { fromSeq, total: URLS_PER_SITEMAP });
        await writeUrlset(
          sink,
          mapBatches(batches, (row) => ({ loc: urls.post(row.handle, row.slug), lastmod: row.updatedAt })),
          { loc: urls.home(), lastmod },
        );
      },
    };
  }

  /**
   * RSS bodies are small (at most 50 items) and read far more often than they change, so they
   * are kept by entity tag: equal tags mean equal bytes, and a change makes a new tag, so an
   * entry is never stale, only unused until evicted.
   */
  const rssBodies = new LRUCache<string, string>({ max: 5_000, maxSize: 64 * 1024 * 1024, sizeCalculation: (body) => body.length * 2 });

  async function renderRss(head: MaletFeedHead, etag: string): Promise<string> {
    const cached = rssBodies.get(etag);
    if (cached !== undefined) return cached;
    const parts: string[] = [];
    await writeRss({ closed: false, write: async (chunk) => void parts.push(chunk) }, head, await feeds.latestPosts(head.id, RSS_ITEM_LIMIT), urls);
    const body = parts.join('');
    rssBodies.set(etag, body);
    return body;
  }

  /**
   * A Malet's blog sitemap. Up to 50,000 posts it is one file, newest first. Past that,
   * `blogs.xml` becomes a sitemap index of `blogs-1.xml`, `blogs-2.xml`, ... in insertion order,
   * so a part keeps its posts as new ones arrive.
   */
  async function prepareMaletBlogSitemap(request: { handle: string; part?: number }): Promise<PreparedFeed> {
    const head = await getMaletHeadOrThrow(request.handle);
    const parts = sitemapParts(await feeds.maletPostCount(head.id), URLS_PER_SITEMAP);
    const lastmod = head.contentChangedAt;
    const base = {
      contentType: SITEMAP_CONTENT_TYPE,
      etag: entityTag('malet-blog-sitemap', request.part ?? 0, parts, head.id, head.handle, lastmod.toISOString(), publicBaseUrl),
      lastModified: lastmod,
    };
    if (request.part === undefined && parts > 1) {
      return {
        ...base,
        write: (sink) =>
          writeSitemapIndex(
            sink,
            Array.from({ length: parts }, (_, i) => ({ loc: urls.maletBlogSitemapPart(head.handle, i + 1), lastmod })),
          ),
      };
    }
    const toUrl = (row: { slug: string; updatedAt: Date }) => ({ loc: urls.post(head.handle, row.slug), lastmod: row.updatedAt });
    const fallback = { loc: urls.malet(head.handle), lastmod };
    if (request.part === undefined) {
      return {
        ...base,
        write: (sink) =>
          writeUrlset(
            sink,
            mapBatches(descendingBatches((beforeSeq, limit) => feeds.maletPostBatch(head.id, beforeSeq, limit), { total: URLS_PER_SITEMAP }), toUrl),
            fallback,
          ),
      };
    }
    // Numbered parts exist only while the sitemap is split.
    const part = request.part;
    if (parts < 2 || part < 1 || part > parts) throw contentErrors.sitemapPartNotFound();
    return {
      ...base,
      async write(sink) {
        const fromSeq = await feeds.maletPostSeqAt(head.id, (part - 1) * URLS_PER_SITEMAP);
        const batches =
          fromSeq === null
            ? emptyBatches()
            : ascendingBatches((from, limit) => feeds.maletPostBatchFrom(head.id, from, limit), { fromSeq, total: URLS_PER_SITEMAP });
        await writeUrlset(sink, mapBatches(batches, toUrl), fallback);
      },
    };
  }

  async function getMaletHeadOrThrow(handle: string): Promise<MaletFeedHead> {
    const head = await feeds.findMaletHead(handle);
    if (!head) throw contentErrors.maletNotFound();
    return head;
  }

  return {
    async prepare(request: FeedRequest): Promise<PreparedFeed> {
      switch (request.kind) {
        case 'sitemap-index':
        case 'sitemap-malets':
        case 'sitemap-blogs':
          return prepareSiteFeed(request);
        case 'malet-blog-sitemap':
          return prepareMaletBlogSitemap(request);
        case 'malet-rss': {
          const head = await getMaletHeadOrThrow(request.handle);
          const etag = entityTag(request.kind, head.id, head.handle, head.contentChangedAt.toISOString(), publicBaseUrl);
          return {
            contentType: RSS_CONTENT_TYPE,
            etag,
            lastModified: head.contentChangedAt,
            async write(sink: FeedSink) {
              await sink.write(await renderRss(head, etag));
            },
          };
        }
      }
    },
  };
}

async function* emptyBatches(): AsyncGenerator<never[]> {}

export type FeedService = ReturnType<typeof createFeedService>;
