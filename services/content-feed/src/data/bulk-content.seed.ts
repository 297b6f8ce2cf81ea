/**
 * Bulk content straight in SQL (generate_series), for volumes the GraphQL API would take
 * minutes to create: `malets` Malets with `postsPerMalet` published posts each, plus drafts.
 *
 * A dev and bench utility, never imported by the service itself (so never in its bundle). It
 * lives here, beside the schema it writes, because it knows this service's tables; tests,
 * benches and other workspaces reach it as `@malet/content-feed/bulk-content-seed`.
 */
export async function seedBulkContent(
  db: SqlRunner,
  options: { malets: number; postsPerMalet: number; draftsPerMalet?: number; prefix?: string },
): Promise<void> {
  const prefix = options.prefix ?? 'bulk';
  await db.query(
    `insert into malets (handle, name, owner_id)
     select $1 || '-' || n, 'Bulk Malet ' || n, gen_random_uuid() from generate_series(1, $2::int) n`,
    [prefix, options.malets],
  );
  await db.query(
    `insert into blog_posts (malet_id, slug, title, body_markdown, body_html, author_id, status, published_at)
     select m.id, 'post-' || n, 'Post ' || n, 'Body ' || n, '<p>Body ' || n || '</p>', m.owner_id,
            case when n > $2::int then 'draft' else 'published' end,
            case when n > $2::int then null else now() - n * interval '1 minute' end
     from malets m cross join generate_series(1, $2::int + $3::int) n
     where m.handle like $1 || '-%'`,
    [prefix, options.postsPerMalet, options.draftsPerMalet ?? 0],
  );
  await db.query('analyze malets; analyze blog_posts');
}

/** What the seed needs of a `pg` Pool or Client: the caller brings the connection. */
export interface SqlRunner {
  query(text: string, values?: unknown[]): Promise<unknown>;
}
