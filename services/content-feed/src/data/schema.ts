import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/**
 * A Malet: a public page with a handle. `seq` is an insertion-ordered key used only to page
 * through sitemaps by keyset, so earlier sitemap parts stay stable as Malets are added.
 */
export const malets = pgTable(
  'malets',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity(),
    /** Lower-case, URL-safe, unique (domain/handle.ts). */
    handle: text('handle').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    /** The user id auth minted; the owner is resolved through federation. */
    ownerId: uuid('owner_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    /**
     * Moves forward whenever anything this Malet shows to crawlers changes (its own fields or a
     * published post appearing, changing or disappearing). Feeds derive ETag and Last-Modified
     * from it without reading the posts.
     */
    contentChangedAt: timestamp('content_changed_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('malets_handle_key').on(table.handle),
    index('malets_owner_idx').on(table.ownerId),
    uniqueIndex('malets_seq_key').on(table.seq),
  ],
);

export const blogPosts = pgTable(
  'blog_posts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity(),
    maletId: uuid('malet_id')
      .notNull()
      .references(() => malets.id, { onDelete: 'cascade' }),
    slug: text('slug').notNull(),
    title: text('title').notNull(),
    summary: text('summary'),
    bodyMarkdown: text('body_markdown').notNull(),
    /** Sanitised HTML rendered from the Markdown at write time, so feeds never render. */
    bodyHtml: text('body_html').notNull(),
    authorId: uuid('author_id').notNull(),
    status: text('status', { enum: ['draft', 'published'] }).notNull().default('draft'),
    /** Set on first publication and kept across unpublish/publish, so feed dates stay stable. */
    publishedAt: timestamp('published_at', { withTimezone: true, precision: 3 }),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('blog_posts_malet_slug_key').on(table.maletId, table.slug),
    check('blog_posts_status_check', sql`${table.status} in ('draft', 'published')`),
    // A Malet's published posts, newest first: GraphQL pages and the RSS feed.
    index('blog_posts_malet_published_idx')
      .on(table.maletId, table.publishedAt.desc(), table.id.desc())
      .where(sql`${table.status} = 'published'`),
    // Every published post in insertion order: the global sitemap's keyset.
    index('blog_posts_published_seq_idx').on(table.seq).where(sql`${table.status} = 'published'`),
    // One Malet's published posts in insertion order: its blog sitemap.
    index('blog_posts_malet_published_seq_idx').on(table.maletId, table.seq).where(sql`${table.status} = 'published'`),
    // The owner's view, drafts included.
    index('blog_posts_malet_created_idx').on(table.maletId, table.createdAt.desc(), table.id.desc()),
  ],
);

/**
 * One row (id = 1) recording when a Malet was last deleted. Deleting a Malet removes the row
 * the global sitemaps' Last-Modified was computed from, which would move it backwards and let a
 * stale If-Modified-Since match; this keeps it monotonic.
 */
export const feedState = pgTable(
  'feed_state',
  {
    id: integer('id').primaryKey(),
    lastRemovalAt: timestamp('last_removal_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (table) => [check('feed_state_single_row', sql`${table.id} = 1`)],
);
