import { and, desc, eq, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import { isUuid } from '@malet/database';
import type { ContentFeedDb } from './db';
import { nextContentChange } from './malet.repository';
import { isUniqueViolation } from './pg-errors';
import { blogPosts, malets } from './schema';

export type PostRow = typeof blogPosts.$inferSelect;
export type PostStatus = PostRow['status'];

type Tx = Parameters<Parameters<ContentFeedDb['transaction']>[0]>[0];

/** What a write may change. `bodyHtml` always travels with `bodyMarkdown`. */
export interface PostPatch {
  slug?: string;
  title?: string;
  summary?: string | null;
  bodyMarkdown?: string;
  bodyHtml?: string;
}

// The public list is ordered by publication, the owner's list (drafts included) by creation.
const PUBLISHED = eq(blogPosts.status, 'published');

/** Feeds show published posts only; a change that adds, alters or removes one moves the Malet's feed clock. */
async function touchMalet(tx: Tx, maletId: string): Promise<void> {
  await tx.update(malets).set({ contentChangedAt: nextContentChange }).where(eq(malets.id, maletId));
}

export function createPostRepository(db: ContentFeedDb) {
  return {
    async findById(id: string): Promise<PostRow | null> {
      if (!isUuid(id)) return null;
      const [row] = await db.select().from(blogPosts).where(eq(blogPosts.id, id)).limit(1);
      return row ?? null;
    },

    async findManyByIds(ids: readonly string[]): Promise<PostRow[]> {
      const valid = ids.filter(isUuid);
      return valid.length ? db.select().from(blogPosts).where(inArray(blogPosts.id, valid)) : [];
    },

    async findBySlug(maletId: string, slug: string): Promise<PostRow | null> {
      const [row] = await db
        .select()
        .from(blogPosts)
        .where(and(eq(blogPosts.maletId, maletId), eq(blogPosts.slug, slug)))
        .limit(1);
      return row ?? null;
    },

    /**
     * One page, newest first, by keyset: `limit` rows after `after`. Published posts sort by
     * publication time; with drafts, by creation time (drafts have no publication time).
     */
    async listPage(options: {
      maletId: string;
      includeDrafts: boolean;
      limit: number;
      after: { at: Date; id: string } | null;
    }): Promise<PostRow[]> {
      const sortColumn = options.includeDrafts ? blogPosts.createdAt : blogPosts.publishedAt;
      const conditions: (SQL | undefined)[] = [eq(blogPosts.maletId, options.maletId)];
      if (!options.includeDrafts) conditions.push(PUBLISHED);
      if (options.after) {
        conditions.push(
          or(lt(sortColumn, options.after.at), and(eq(sortColumn, options.after.at), lt(blogPosts.id, options.after.id))),
        );
      }
      return db
        .select()
        .from(blogPosts)
        .where(and(...conditions))
        .orderBy(desc(sortColumn), desc(blogPosts.id))
        .limit(options.limit);
    },

    /**
     * Inserts with the first free slug of `slugs`; null when all are taken. A published post
     * moves the Malet's feed clock in the same transaction.
     */
    async insert(input: {
      maletId: string;
      authorId: string;
      slugs: string[];
      title: string;
      summary: string | null;
      bodyMarkdown: string;
      bodyHtml: string;
      publish: boolean;
    }): Promise<PostRow | null> {
      const { slugs, publish, ...fields } = input;
      return db.transaction(async (tx) => {
        for (const slug of slugs) {
          const [row] = await tx
            .insert(blogPosts)
            .values({
              ...fields,
              slug,
              status: publish ? 'published' : 'draft',
              publishedAt: publish ? sql`now()` : null,
            })
            .onConflictDoNothing({ target: [blogPosts.maletId, blogPosts.slug] })
            .returning();
          if (row) {
            if (publish) await touchMalet(tx, row.maletId);
            return row;
          }
        }
        return null;
      });
    },

    /** Null when the post is gone; `'slug_taken'` when another post of the Malet has the slug. */
    async update(id: string, patch: PostPatch): Promise<PostRow | 'slug_taken' | null> {
      try {
        return await db.transaction(async (tx) => {
          const [row] = await tx
            .update(blogPosts)
            .set({ ...patch, updatedAt: sql`now()` })
            .where(eq(blogPosts.id, id))
            .returning();
          if (row?.status === 'published') await touchMalet(tx, row.maletId);
          return row ?? null;
        });
      } catch (error) {
        if (isUniqueViolation(error)) return 'slug_taken';
        throw error;
      }
    },

    /** Publishes or unpublishes; the first publication sets `publishedAt` for good. */
    async setStatus(id: string, status: PostStatus): Promise<PostRow | null> {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .update(blogPosts)
          .set({
            status,
            updatedAt: sql`now()`,
            ...(status === 'published' ? { publishedAt: sql`coalesce(${blogPosts.publishedAt}, now())` } : {}),
          })
          .where(eq(blogPosts.id, id))
          .returning();
        if (row) await touchMalet(tx, row.maletId);
        return row ?? null;
      });
    },

    async delete(id: string): Promise<boolean> {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .delete(blogPosts)
          .where(eq(blogPosts.id, id))
          .returning({ maletId: blogPosts.maletId, status: blogPosts.status });
        if (row?.status === 'published') await touchMalet(tx, row.maletId);
        return Boolean(row);
      });
    },
  };
}

export type PostRepository = ReturnType<typeof createPostRepository>;
