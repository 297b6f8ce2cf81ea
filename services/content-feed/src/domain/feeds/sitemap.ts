import type { FeedSink } from './feed-sink';
import { XML_DECLARATION, escapeXml, w3cDatetime } from './xml';

/**
 * sitemaps.org limits: 50,000 URLs and 50 MB (uncompressed) per file. The URL count always
 * binds first here: the base URL is at most 200 URL-safe characters (config.ts), a handle 40 and
 * a slug 100, so one `<url>` entry stays under 450 bytes and a full file under 23 MB.
 */
export const URLS_PER_SITEMAP = 50_000;
/** Rows read per query while streaming: the most a generator holds at once. */
export const SITEMAP_BATCH_SIZE = 5_000;

const NAMESPACE = 'http://www.sitemaps.org/schemas/sitemap/0.9';

export interface SitemapUrl {
  loc: string;
  lastmod: Date;
}

/** How many numbered files a list of `count` URLs needs (at least one, so every file exists). */
export function sitemapParts(count: number, urlsPerFile = URLS_PER_SITEMAP): number {
  return Math.max(1, Math.ceil(count / urlsPerFile));
}

function urlEntry(url: SitemapUrl): string {
  return `<url><loc>${escapeXml(url.loc)}</loc><lastmod>${w3cDatetime(url.lastmod)}</lastmod></url>\n`;
}

/**
 * Streams a `<urlset>`, one write per batch. The sitemaps.org schema requires at least one
 * `<url>`, so an empty list is answered with `fallback` (the parent page) instead.
 */
export async function writeUrlset(sink: FeedSink, batches: AsyncIterable<SitemapUrl[]>, fallback: SitemapUrl): Promise<void> {
  await sink.write(`${XML_DECLARATION}<urlset xmlns="${NAMESPACE}">\n`);
  let written = 0;
  if (sink.closed) return;
  for await (const batch of batches) {
    if (batch.length) {
      written += batch.length;
      await sink.write(batch.map(urlEntry).join(''));
    }
    // Checked before the next batch is read: a reader that left costs no further query.
    if (sink.closed) return;
  }
  if (written === 0) await sink.write(urlEntry(fallback));
  await sink.write('</urlset>\n');
}

export async function writeSitemapIndex(sink: FeedSink, sitemaps: SitemapUrl[]): Promise<void> {
  const entries = sitemaps
    .map((sitemap) => `<sitemap><loc>${escapeXml(sitemap.loc)}</loc><lastmod>${w3cDatetime(sitemap.lastmod)}</lastmod></sitemap>\n`)
    .join('');
  await sink.write(`${XML_DECLARATION}<sitemapindex xmlns="${NAMESPACE}">\n${entries}</sitemapindex>\n`);
}

/**
 * Reads up to `total` rows by keyset on an increasing `seq`, `batchSize` at a time, starting at
 * `fromSeq`. Only one batch is in memory at once, and each is a short query, so no connection
 * is held for the length of a slow download.
 */
export async function* ascendingBatches<T extends { seq: number }>(
  fetchBatch: (fromSeq: number, limit: number) => Promise<T[]>,
  options: { fromSeq: number; total: number; batchSize?: number },
): AsyncGenerator<T[]> {
  const batchSize = options.batchSize ?? SITEMAP_BATCH_SIZE;
  let next = options.fromSeq;
  let remaining = options.total;
  while (remaining > 0) {
    const limit = Math.min(batchSize, remaining);
    const batch = await fetchBatch(next, limit);
    if (!batch.length) return;
    yield batch;
    remaining -= batch.length;
    next = batch[batch.length - 1]!.seq + 1;
    if (batch.length < limit) return;
  }
}

/** As ascendingBatches, newest first: rows before `beforeSeq`. */
export async function* descendingBatches<T extends { seq: number }>(
  fetchBatch: (beforeSeq: number, limit: number) => Promise<T[]>,
  options: { total: number; batchSize?: number },
): AsyncGenerator<T[]> {
  const batchSize = options.batchSize ?? SITEMAP_BATCH_SIZE;
  let before = Number.MAX_SAFE_INTEGER;
  let remaining = options.total;
  while (remaining > 0) {
    const limit = Math.min(batchSize, remaining);
    const batch = await fetchBatch(before, limit);
    if (!batch.length) return;
    yield batch;
    remaining -= batch.length;
    before = batch[batch.length - 1]!.seq;
    if (batch.length < limit) return;
  }
}

/** Maps each batch as it passes, keeping the stream lazy. */
export async function* mapBatches<T, U>(batches: AsyncIterable<T[]>, map: (item: T) => U): AsyncGenerator<U[]> {
  for await (const batch of batches) yield batch.map(map);
}
