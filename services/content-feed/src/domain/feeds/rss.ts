import type { FeedPost, MaletFeedHead } from '../../data/feed.repository';
import type { FeedSink } from './feed-sink';
import type { PublicUrls } from './urls';
import { XML_DECLARATION, cdata, escapeXml, rfc822Date } from './xml';

/** Items per feed: readers poll for what is new, the sitemaps list everything. */
export const RSS_ITEM_LIMIT = 50;

/**
 * RSS 2.0 with the Atom `self` link feed validators ask for. Each item's `guid` is the post's
 * id as a URN, so it survives a change of handle or slug; `description` carries the summary
 * (or the body) as escaped HTML and `content:encoded` the full body in CDATA.
 */
export async function writeRss(sink: FeedSink, malet: MaletFeedHead, posts: FeedPost[], urls: PublicUrls): Promise<void> {
  const description = malet.description?.trim() || `Blog posts from ${malet.name}`;
  const lines = [
    XML_DECLARATION,
    '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/">\n',
    '<channel>\n',
    `<title>${escapeXml(malet.name)}</title>\n`,
    `<link>${escapeXml(urls.malet(malet.handle))}</link>\n`,
    `<description>${escapeXml(description)}</description>\n`,
    `<atom:link href="${escapeXml(urls.rss(malet.handle))}" rel="self" type="application/rss+xml"/>\n`,
    `<lastBuildDate>${rfc822Date(malet.contentChangedAt)}</lastBuildDate>\n`,
    ...(posts[0] ? [`<pubDate>${rfc822Date(posts[0].publishedAt)}</pubDate>\n`] : []),
    '<generator>Malet content-feed</generator>\n',
    '<docs>https://www.rssboard.org/rss-specification</docs>\n',
  ];
  await sink.write(lines.join(''));
  for (const post of posts) {
    if (sink.closed) return;
    await sink.write(
      [
        '<item>\n',
        `<title>${escapeXml(post.title)}</title>\n`,
        `<link>${escapeXml(urls.post(malet.handle, post.slug))}</link>\n`,
        `<guid isPermaLink="false">urn:uuid:${post.id}</guid>\n`,
        `<pubDate>${rfc822Date(post.publishedAt)}</pubDate>\n`,
        `<description>${escapeXml(post.summary?.trim() || post.bodyHtml)}</description>\n`,
        `<content:encoded>${cdata(post.bodyHtml)}</content:encoded>\n`,
        '</item>\n',
      ].join(''),
    );
  }
  await sink.write('</channel>\n</rss>\n');
}
