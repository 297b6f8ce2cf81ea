import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SITEINDEX_XSD, SITEMAP_XSD, W3C_DATETIME, expectValidRss, rssParser as parser, sitemapLocs, xmllint, xpath } from '@malet/testing';
import { startContentFeedTestInstance, TEST_PUBLIC_BASE_URL, type ContentFeedTestInstance } from './content-feed-test-instance';

let cf: ContentFeedTestInstance;
let owner: string;
const BASE = TEST_PUBLIC_BASE_URL;
const HANDLE = 'feed-shop';
const HOSTILE_NAME = `Joe's <Café> & "Bar" 😀 مقهى`;

type Row = Record<string, unknown>;

async function gql<T = Row>(query: string, variables: Row = {}, userId: string | null = owner): Promise<T> {
  const result = await cf.graphql<T>(query, variables, { userId });
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return result.data!;
}

async function createPost(input: Row, handle = HANDLE): Promise<{ id: string; slug: string }> {
  const data = await gql<{ createBlogPost: { id: string; slug: string } }>(
    'mutation ($h: String!, $i: CreateBlogPostInput!) { createBlogPost(handle: $h, input: $i) { id slug } }',
    { h: handle, i: { body: 'Body', ...input } },
  );
  return data.createBlogPost;
}

const setPublished = (id: string, published: boolean) =>
  gql(`mutation ($id: ID!) { ${published ? 'publishBlogPost' : 'unpublishBlogPost'}(id: $id) { id } }`, { id });

async function get(path: string, headers: Record<string, string> = {}) {
  const response = await cf.fetchFeed(path, headers);
  return { response, status: response.status, body: await response.text(), header: (name: string) => response.headers.get(name) };
}

let published: { id: string; slug: string }[];
let draft: { id: string; slug: string };

beforeAll(async () => {
  cf = await startContentFeedTestInstance();
  owner = cf.newUserId();
  await gql('mutation ($i: CreateMaletInput!) { createMalet(input: $i) { id } }', {
    i: { handle: HANDLE, name: HOSTILE_NAME, description: 'Coffee & <cake>' },
  });
  published = [];
  for (const title of ['First brew', 'Second brew', 'Third brew']) published.push(await createPost({ title, publish: true }));
  draft = await createPost({ title: 'Secret recipe' });
});
afterAll(() => cf?.stop());

describe('sitemaps', () => {
  it('serves a schema-valid sitemap index listing the Malet and blog sitemaps', async () => {
    const { status, body, header } = await get('/sitemap.xml');
    expect(status).toBe(200);
    expect(header('content-type')).toBe('application/xml; charset=utf-8');
    expect(header('etag')).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(Date.parse(header('last-modified') ?? '')).not.toBeNaN();
    expect(header('cache-control')).toContain('public');
    const lint = await xmllint(body, SITEINDEX_XSD);
    expect(lint.ok, lint.output).toBe(true);
    expect(await sitemapLocs(body)).toEqual([`${BASE}/sitemap-malets.xml`, `${BASE}/sitemap-blogs.xml`]);
    const lastmods = (await xpath(body, `//*[local-name()='lastmod']/text()`)).split('\n');
    for (const lastmod of lastmods) expect(lastmod.trim()).toMatch(W3C_DATETIME);
  });

  it('lists Malet pages and published posts only, with absolute URLs, valid against the sitemap XSD', async () => {
    const malets = await get('/sitemap-malets.xml');
    expect((await xmllint(malets.body, SITEMAP_XSD)).ok).toBe(true);
    expect(await sitemapLocs(malets.body)).toEqual([`${BASE}/m/${HANDLE}`]);

    for (const path of ['/sitemap-blogs.xml', `/sitemap/m/${HANDLE}/blogs.xml`]) {
      const { status, body, header } = await get(path);
      expect(status).toBe(200);
      expect(header('content-type')).toBe('application/xml; charset=utf-8');
      const lint = await xmllint(body, SITEMAP_XSD);
      expect(lint.ok, lint.output).toBe(true);
      const locs = await sitemapLocs(body);
      expect([...locs].sort()).toEqual(published.map((post) => `${BASE}/m/${HANDLE}/blog/${post.slug}`).sort());
      expect(body).not.toContain(draft.slug);
      for (const lastmod of (await xpath(body, `//*[local-name()='lastmod']/text()`)).split('\n')) {
        expect(lastmod.trim()).toMatch(W3C_DATETIME);
      }
    }
  });

  it('keeps every file schema-valid on an empty site (the schema requires at least one url)', async () => {
    const empty = await startContentFeedTestInstance();
    try {
      const index = await empty.fetchFeed('/sitemap.xml');
      expect((await xmllint(await index.text(), SITEINDEX_XSD)).ok).toBe(true);
      for (const path of ['/sitemap-malets.xml', '/sitemap-blogs.xml']) {
        const response = await empty.fetchFeed(path);
        expect(response.status).toBe(200);
        const lint = await xmllint(await response.text(), SITEMAP_XSD);
        expect(lint.ok, lint.output).toBe(true);
      }
    } finally {
      await empty.stop();
    }
  });
});

describe('RSS', () => {
  it('is RSS 2.0 with an Atom self link that an independent parser reads', async () => {
    const path = `/rss/m/${HANDLE}/blogs.xml`;
    const { status, body, header } = await get(path);
    expect(status).toBe(200);
    expect(header('content-type')).toBe('application/rss+xml; charset=utf-8');
    await expectValidRss(body, `${BASE}${path}`);

    const feed = await parser.parseString(body);
    expect(feed.title).toBe(HOSTILE_NAME);
    expect(feed.link).toBe(`${BASE}/m/${HANDLE}`);
    expect(feed.description).toBe('Coffee & <cake>');
    expect(feed.feedUrl).toBe(`${BASE}${path}`);
    expect(feed.items.map((item) => item.title)).toEqual(['Third brew', 'Second brew', 'First brew']);
    for (const item of feed.items) {
      const post = published.find((candidate) => item.link === `${BASE}/m/${HANDLE}/blog/${candidate.slug}`);
      expect(post).toBeDefined();
      expect(item.guid).toBe(`urn:uuid:${post!.id}`);
      expect(Number.isNaN(Date.parse(item.pubDate ?? ''))).toBe(false);
      expect(item['content:encoded']).toBe('<p>Body</p>');
    }
    expect(body).not.toContain('Secret recipe');
  });

  it('keeps guids stable when a post is renamed', async () => {
    const post = await createPost({ title: 'Renamed later', publish: true });
    await gql('mutation ($id: ID!) { updateBlogPost(id: $id, input: {slug: "renamed-now", title: "Renamed now"}) { id } }', { id: post.id });
    const feed = await parser.parseString((await get(`/rss/m/${HANDLE}/blogs.xml`)).body);
    const item = feed.items.find((candidate) => candidate.guid === `urn:uuid:${post.id}`);
    expect(item).toMatchObject({ title: 'Renamed now', link: `${BASE}/m/${HANDLE}/blog/renamed-now` });
    await gql('mutation ($id: ID!) { deleteBlogPost(id: $id) }', { id: post.id });
  });
});

describe('conditional requests', () => {
  const paths = ['/sitemap.xml', '/sitemap-malets.xml', '/sitemap-blogs.xml', `/sitemap/m/${HANDLE}/blogs.xml`, `/rss/m/${HANDLE}/blogs.xml`];

  it('answers If-None-Match with 304 and no body, for every feed', async () => {
    for (const path of paths) {
      const first = await get(path);
      const etag = first.header('etag')!;
      const again = await get(path, { 'if-none-match': etag });
      expect(again.status, path).toBe(304);
      expect(again.body).toBe('');
      expect(again.header('etag')).toBe(etag);
      expect(again.header('cache-control')).toBe(first.header('cache-control'));
      expect((await get(path, { 'if-none-match': `"other", W/${etag}` })).status).toBe(304);
      expect((await get(path, { 'if-none-match': '"stale"' })).status).toBe(200);
    }
  });

  it('answers If-Modified-Since with 304 once the change is at least a second old', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100));
    for (const path of paths) {
      const first = await get(path);
      const lastModified = first.header('last-modified')!;
      expect((await get(path, { 'if-modified-since': lastModified })).status, path).toBe(304);
      const earlier = new Date(Date.parse(lastModified) - 60_000).toUTCString();
      expect((await get(path, { 'if-modified-since': earlier })).status).toBe(200);
      expect((await get(path, { 'if-modified-since': 'not a date' })).status).toBe(200);
      // If-None-Match wins over If-Modified-Since.
      expect((await get(path, { 'if-modified-since': lastModified, 'if-none-match': '"stale"' })).status).toBe(200);
    }
  });

  it('changes the ETag when a post is published, so old validators get the new content', async () => {
    const before = await Promise.all(paths.map((path) => get(path)));
    const post = await createPost({ title: 'Fresh news', publish: true });
    for (const [i, path] of paths.entries()) {
      const after = await get(path, { 'if-none-match': before[i]!.header('etag')! });
      expect(after.status, path).toBe(200);
      expect(after.header('etag')).not.toBe(before[i]!.header('etag'));
    }
    await gql('mutation ($id: ID!) { deleteBlogPost(id: $id) }', { id: post.id });
  });

  it('answers HEAD with the headers and no body', async () => {
    const response = await fetch(`${cf.url}/rss/m/${HANDLE}/blogs.xml`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toBeTruthy();
    expect(await response.text()).toBe('');
  });
});

describe('drafts, unpublishing and deletion', () => {
  async function everywhere(slug: string) {
    const rss = (await get(`/rss/m/${HANDLE}/blogs.xml`)).body;
    const blogs = (await get('/sitemap-blogs.xml')).body;
    const mine = (await get(`/sitemap/m/${HANDLE}/blogs.xml`)).body;
    return [rss, blogs, mine].map((body) => body.includes(`/blog/${slug}<`));
  }

  it('never lists drafts, and drops a post from every feed the moment it is unpublished or deleted', async () => {
    expect(await everywhere(draft.slug)).toEqual([false, false, false]);
    const post = await createPost({ title: 'Here and gone', publish: true });
    expect(await everywhere(post.slug)).toEqual([true, true, true]);
    await setPublished(post.id, false);
    expect(await everywhere(post.slug)).toEqual([false, false, false]);
    await setPublished(post.id, true);
    expect(await everywhere(post.slug)).toEqual([true, true, true]);
    await gql('mutation ($id: ID!) { deleteBlogPost(id: $id) }', { id: post.id });
    expect(await everywhere(post.slug)).toEqual([false, false, false]);
  });

  it('removes a deleted Malet from the sitemaps and answers its feeds 404', async () => {
    await gql('mutation { createMalet(input: {handle: "short-lived", name: "Short"}) { id } }');
    await createPost({ title: 'Soon gone', publish: true }, 'short-lived');
    const before = await get('/sitemap-malets.xml');
    expect(before.body).toContain(`${BASE}/m/short-lived<`);
    await gql('mutation { deleteMalet(handle: "short-lived") }');
    const after = await get('/sitemap-malets.xml', { 'if-none-match': before.header('etag')! });
    expect(after.status).toBe(200);
    expect(after.body).not.toContain('short-lived');
    expect((await get('/sitemap-blogs.xml')).body).not.toContain('short-lived');
    expect((await get('/rss/m/short-lived/blogs.xml')).status).toBe(404);
    // Deletion moves Last-Modified forward, so a date-only revalidation is not told "unchanged".
    expect(Date.parse(after.header('last-modified')!)).toBeGreaterThanOrEqual(Date.parse(before.header('last-modified')!));
  });
});

describe('hostile text', () => {
  const HOSTILE_TITLE = `<script>alert("x")</script> & 'quotes' "double" 😀🇫🇷 مرحبا بالعالم \u202Eevil\u202C ]]> end`;

  it('escapes markup, keeps emoji and right-to-left text, and round-trips through a parser', async () => {
    const post = await createPost({ title: HOSTILE_TITLE, summary: 'Summary with <b>tags</b> & ampersands', body: 'Code: `a ]]> b` <tag>', publish: true });
    const { body } = await get(`/rss/m/${HANDLE}/blogs.xml`);
    await expectValidRss(body, `${BASE}/rss/m/${HANDLE}/blogs.xml`);
    expect(body).not.toContain('<script>');
    const feed = await parser.parseString(body);
    const item = feed.items.find((candidate) => candidate.guid === `urn:uuid:${post.id}`)!;
    expect(item.title).toBe(HOSTILE_TITLE);
    expect(item.content).toBe('Summary with <b>tags</b> & ampersands');
    expect(item['content:encoded']).toContain('a ]]&gt; b');
    for (const path of ['/sitemap-blogs.xml', `/sitemap/m/${HANDLE}/blogs.xml`]) {
      expect((await xmllint((await get(path)).body, SITEMAP_XSD)).ok).toBe(true);
    }
    await gql('mutation ($id: ID!) { deleteBlogPost(id: $id) }', { id: post.id });
  });

  it('refuses control characters in titles, and drops any stored ones so feeds stay well-formed', async () => {
    const refused = await cf.graphql(
      'mutation ($i: CreateBlogPostInput!) { createBlogPost(handle: "feed-shop", input: $i) { id } }',
      { i: { title: 'bell\u0007 and escape\u001b', body: 'b' } },
      { userId: owner },
    );
    expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

    // Rows written before validation existed (or by hand) must not break the feed.
    const post = await createPost({ title: 'Clean for now', publish: true });
    await cf.pool.query(`update blog_posts set title = $2, body_html = $3 where id = $1`, [
      post.id,
      'Ctrl\u0001\u0008\u000b\u001f\ufffe chars',
      '<p>stx\u0002 and \u001b escape ]]> inside</p>',
    ]);
    await cf.pool.query(`update malets set content_changed_at = now() + interval '1 second' where handle = $1`, [HANDLE]);
    const { body } = await get(`/rss/m/${HANDLE}/blogs.xml`);
    const lint = await xmllint(body);
    expect(lint.ok, lint.output).toBe(true);
    const feed = await parser.parseString(body);
    const item = feed.items.find((candidate) => candidate.guid === `urn:uuid:${post.id}`)!;
    expect(item.title).toBe('Ctrl chars');
    expect(item['content:encoded']).toBe('<p>stx and  escape ]]> inside</p>');
    await gql('mutation ($id: ID!) { deleteBlogPost(id: $id) }', { id: post.id });
  });
});

describe('bad requests', () => {
  it('answers malformed handles 400 and unknown ones 404, as XML documents', async () => {
    const cases: [string, number][] = [
      ['/rss/m/bad%20handle/blogs.xml', 400],
      ['/rss/m/%3Cscript%3E/blogs.xml', 400],
      [`/rss/m/${'a'.repeat(41)}/blogs.xml`, 400],
      ['/sitemap/m/bad_handle/blogs.xml', 400],
      ['/rss/m/no-such-shop/blogs.xml', 404],
      ['/sitemap/m/no-such-shop/blogs.xml', 404],
      ['/sitemap-blogs-0.xml', 404],
      ['/sitemap-blogs-1.xml', 404],
      ['/sitemap-blogs-2.xml', 404],
      ['/sitemap-blogs-abc.xml', 404],
      ['/sitemap-malets-99999999.xml', 404],
      ['/sitemap-other.xml', 404],
      ['/rss/m/feed-shop/other.xml', 404],
      ['/sitemap/m/feed-shop/blog/first-brew.xml', 404],
    ];
    for (const [path, status] of cases) {
      const { body, header, ...response } = await get(path);
      expect(response.status, path).toBe(status);
      expect(header('content-type'), path).toBe('application/xml; charset=utf-8');
      expect((await xmllint(body)).ok).toBe(true);
      expect(await xpath(body, 'string(/error/status)')).toBe(String(status));
      expect(body).not.toMatch(/at .*\.ts|<html/i);
    }
  });

  it('redirects a handle in the wrong case to the canonical lower-case URL', async () => {
    const { status, header } = await get('/rss/m/Feed-Shop/blogs.xml');
    expect(status).toBe(301);
    expect(header('location')).toBe('/rss/m/feed-shop/blogs.xml');
  });

  it('serves feeds without any credentials', async () => {
    expect((await get(`/rss/m/${HANDLE}/blogs.xml`, { authorization: 'Bearer nonsense' })).status).toBe(200);
  });
});
