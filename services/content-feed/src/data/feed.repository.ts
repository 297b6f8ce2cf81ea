import { and, asc, count, desc, eq, gt, lt, max } from 'drizzle-orm';
import type { ContentFeedDb } from './db';
import { blogPosts, feedState, malets } from './schema';

/** What decides a global sitemap's content, read without reading the rows themselves. */
export interface SiteFeedStamp {
  maletCount: number;
  postCount: number;
  /** The latest change to anything the global sitemaps show (never moves backwards). */
  changedAt: Date | null;
}

export interface MaletFeedHead {
  id: string;
  handle: string;
  name: string;
  description: string | null;
  /** Strictly increases with every change the Malet's feeds show: their validators derive from it. */
  contentChangedAt: Date;
}

export interface MaletEntry {
  seq: number;
  handle: string;
  changedAt: Date;
}

export interface PostEntry {
  seq: number;
  handle: string;
  slug: string;
  updatedAt: Date;
}

export interface FeedPost {
  id: string;
  slug: string;
  title: string;
  summary: string | null;
  bodyHtml: string;
  publishedAt: Date;
  updatedAt: Date;
}

const PUBLISHED = eq(blogPosts.status, 'published');

/**
 * Read-only queries behind sitemaps and RSS. Listing queries page by keyset on `seq` in bounded
 * batches, so a caller can stream any number of rows while holding one batch at a time.
 */
export function createFeedRepository(db: ContentFeedDb) {
  return {
    async siteStamp(): Promise<SiteFeedStamp> {
      const [maletStats] = await db.select({ count: count(), changedAt: max(malets.contentChangedAt) }).from(malets);
      const [postStats] = await db.select({ count: count() }).from(blogPosts).where(PUBLISHED);
      const [removal] = await db.select({ at: feedState.lastRemovalAt }).from(feedState).where(eq(feedState.id, 1));
      const candidates = [maletStats?.changedAt, removal?.at].filter((value): value is Date => value instanceof Date);
      return {
        maletCount: maletStats?.count ?? 0,
        postCount: postStats?.count ?? 0,
        changedAt: candidates.length ? new Date(Math.max(...candidates.map((date) => date.getTime()))) : null,
      };
    },

    async findMaletHead(handle: string): Promise<MaletFeedHead | null> {
      const [row] = await db
        .select({
          id: malets.id,
          handle: malets.handle,
          name: malets.name,
          description: malets.description,
          contentChangedAt: malets.contentChangedAt,
        })
        .from(malets)
        .where(eq(malets.handle, handle))
        .limit(1);
      return row ?? null;
    },

    /** The `seq` of the row at `offset` in the Malet list (where a numbered sitemap part starts). */
    async maletSeqAt(offset: number): Promise<number | null> {
      const [row] = await db.select({ seq: malets.seq }).from(malets).orderBy(asc(malets.seq)).offset(offset).limit(1);
      return row?.seq ?? null;
    },

    async maletBatch(fromSeq: number, limit: number): Promise<MaletEntry[]> {
      return db
        .select({ seq: malets.seq, handle: malets.handle, changedAt: malets.contentChangedAt })
        .from(malets)
        .where(gt(malets.seq, fromSeq - 1))
        .orderBy(asc(malets.seq))
        .limit(limit);
    },

    async postSeqAt(offset: number): Promise<number | null> {
      const [row] = await db
        .select({ seq: blogPosts.seq })
        .from(blogPosts)
        .where(PUBLISHED)
        .orderBy(asc(blogPosts.seq))
        .offset(offset)
        .limit(1);
      return row?.seq ?? null;
    },

    /** Published posts of every Malet from `fromSeq` on, in insertion order. */
    async postBatch(fromSeq: number, limit: number): Promise<PostEntry[]> {
      return db
        .select({ seq: blogPosts.seq, handle: malets.handle, slug: blogPosts.slug, updatedAt: blogPosts.updatedAt })
        .from(blogPosts)
        .innerJoin(malets, eq(malets.id, blogPosts.maletId))
        .where(and(PUBLISHED, gt(blogPosts.seq, fromSeq - 1)))
        .orderBy(asc(blogPosts.seq))
        .limit(limit);
    },

    /** How many published posts a Malet has: decides whether its blog sitemap splits. */
    async maletPostCount(maletId: string): Promise<number> {
      const [row] = await db.select({ count: count() }).from(blogPosts).where(and(eq(blogPosts.maletId, maletId), PUBLISHED));
      return row?.count ?? 0;
    },

    /** The `seq` of a Malet's published post at `offset` in insertion order (where a part starts). */
    async maletPostSeqAt(maletId: string, offset: number): Promise<number | null> {
      const [row] = await db
        .select({ seq: blogPosts.seq })
        .from(blogPosts)
        .where(and(eq(blogPosts.maletId, maletId), PUBLISHED))
        .orderBy(asc(blogPosts.seq))
        .offset(offset)
        .limit(1);
      return row?.seq ?? null;
    },

    /** One Malet's published posts from `fromSeq` on, in insertion order (the parts of a split sitemap). */
    async maletPostBatchFrom(maletId: string, fromSeq: number, limit: number): Promise<Omit<PostEntry, 'handle'>[]> {
      return db
        .select({ seq: blogPosts.seq, slug: blogPosts.slug, updatedAt: blogPosts.updatedAt })
        .from(blogPosts)
        .where(and(eq(blogPosts.maletId, maletId), PUBLISHED, gt(blogPosts.seq, fromSeq - 1)))
        .orderBy(asc(blogPosts.seq))
        .limit(limit);
    },

    /** One Malet's published posts, newest first, before `beforeSeq`. */
    async maletPostBatch(maletId: string, beforeSeq: number, limit: number): Promise<Omit<PostEntry, 'handle'>[]> {
      return db
        .select({ seq: blogPosts.seq, slug: blogPosts.slug, updatedAt: blogPosts.updatedAt })
        .from(blogPosts)
        .where(and(eq(blogPosts.maletId, maletId), PUBLISHED, lt(blogPosts.seq, beforeSeq)))
        .orderBy(desc(blogPosts.seq))
        .limit(limit);
    },

    /** The newest published posts of one Malet, for its RSS feed. */
    async latestPosts(maletId: string, limit: number): Promise<FeedPost[]> {
      const rows = await db
        .select({
          id: blogPosts.id,
          slug: blogPosts.slug,
          title: blogPosts.title,
          summary: blogPosts.summary,
          bodyHtml: blogPosts.bodyHtml,
          publishedAt: blogPosts.publishedAt,
          updatedAt: blogPosts.updatedAt,
        })
        .from(blogPosts)
        .where(and(eq(blogPosts.maletId, maletId), PUBLISHED))
        .orderBy(desc(blogPosts.publishedAt), desc(blogPosts.id))
        .limit(limit);
      // Published rows always carry a publication time; the fallback only satisfies the type.
      return rows.map((row) => ({ ...row, publishedAt: row.publishedAt ?? row.updatedAt }));
    },
  };
}

export type FeedRepository = ReturnType<typeof createFeedRepository>;
