import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SITEINDEX_XSD, SITEMAP_XSD, expectValidRss, rssParser, sitemapLocs, xmllint, xpath } from '@malet/testing';
import { seedDevContent } from '../../scripts/dev-content-seed';
import { startGatewayTestInstance, type GatewayTestInstance } from './gateway-test-instance';

// Where crawlers are told the feeds live: the gateway's dev address, as in seed 000.
const PUBLIC_BASE_URL = 'http://localhost:30000';
const HANDLE = 'my-coffee-shop';

let suite: GatewayTestInstance;
let owner: { token: string; user: { id: string } };
let stranger: { token: string };

beforeAll(async () => {
  suite = await startGatewayTestInstance({ env: { 'content-feed': { PUBLIC_BASE_URL } } });
  await seedDevContent({ gatewayUrl: suite.gatewayUrl, authUrl: suite.urls.auth! });
  owner = await suite.devToken('user@example.com');
  stranger = await suite.devToken('admin@example.com');
});
afterAll(() => suite?.stop());

/**
 * Exactly what seed 000's curl does: a plain GET on the gateway, no credentials, no content
 * coding (curl sends no Accept-Encoding; fetch would ask for gzip). Coding: feed-compression.test.ts.
 */
async function curl(path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${suite.gatewayUrl}${path}`, { headers: { 'accept-encoding': 'identity', ...headers }, redirect: 'manual' });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

function code(result: { errors?: { extensions?: Record<string, unknown> }[] }) {
  return result.errors?.[0]?.extensions?.code;
}

describe('crawler feeds through the gateway', () => {
  it('serves the seeded Malet\'s RSS as seed 000\'s curl fetches it: valid, parsed, drafts left out', async () => {
    const path = `/rss/m/${HANDLE}/blogs.xml`;
    const { status, headers, body } = await curl(path);
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('application/rss+xml; charset=utf-8');
    expect(headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(headers.get('last-modified')).toBeTruthy();
    expect(headers.get('cache-control')).toContain('public');
    await expectValidRss(body, `${PUBLIC_BASE_URL}${path}`);
    const feed = await rssParser.parseString(body);
    expect(feed.title).toBe('My Coffee Shop');
    expect(feed.link).toBe(`${PUBLIC_BASE_URL}/m/${HANDLE}`);
    expect(feed.items.map((item) => item.title).sort()).toEqual(['Meet our beans', 'Pour-over 101', 'We are open!']);
    expect(body).not.toContain('Autumn menu');
  });

  it('keeps the dev seed idempotent', async () => {
    await seedDevContent({ gatewayUrl: suite.gatewayUrl, authUrl: suite.urls.auth! });
    const feed = await rssParser.parseString((await curl(`/rss/m/${HANDLE}/blogs.xml`)).body);
    expect(feed.items).toHaveLength(3);
  });

  it('serves every sitemap, valid against the sitemaps.org XSDs, with absolute URLs', async () => {
    const index = await curl('/sitemap.xml');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('application/xml; charset=utf-8');
    const indexLint = await xmllint(index.body, SITEINDEX_XSD);
    expect(indexLint.ok, indexLint.output).toBe(true);
    const parts = await sitemapLocs(index.body);
    expect(parts).toEqual([`${PUBLIC_BASE_URL}/sitemap-malets.xml`, `${PUBLIC_BASE_URL}/sitemap-blogs.xml`]);

    for (const path of ['/sitemap-malets.xml', '/sitemap-blogs.xml', `/sitemap/m/${HANDLE}/blogs.xml`]) {
      const { status, headers, body } = await curl(path);
      expect(status, path).toBe(200);
      expect(headers.get('content-type')).toBe('application/xml; charset=utf-8');
      const lint = await xmllint(body, SITEMAP_XSD);
      expect(lint.ok, lint.output).toBe(true);
      for (const loc of await sitemapLocs(body)) expect(loc.startsWith(`${PUBLIC_BASE_URL}/m/`)).toBe(true);
    }
    expect(await sitemapLocs((await curl('/sitemap-malets.xml')).body)).toContain(`${PUBLIC_BASE_URL}/m/${HANDLE}`);
    expect(await sitemapLocs((await curl('/sitemap-blogs.xml')).body)).toHaveLength(3);
  });

  it('passes conditional requests through: 304 on If-None-Match and If-Modified-Since', async () => {
    // Dates have one-second resolution: a feed changed within the last second is never 304 by date.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    for (const path of ['/sitemap.xml', '/sitemap-blogs.xml', `/sitemap/m/${HANDLE}/blogs.xml`, `/rss/m/${HANDLE}/blogs.xml`]) {
      const first = await curl(path);
      const etag = first.headers.get('etag')!;
      const notModified = await curl(path, { 'if-none-match': etag });
      expect(notModified.status, path).toBe(304);
      expect(notModified.body).toBe('');
      expect(notModified.headers.get('etag')).toBe(etag);
      expect((await curl(path, { 'if-modified-since': first.headers.get('last-modified')! })).status).toBe(304);
      expect((await curl(path, { 'if-none-match': '"something-else"' })).status).toBe(200);
    }
  });

  it('answers bad and unknown handles with 4xx XML, never HTML or a stack trace', async () => {
    const cases: [string, number][] = [
      ['/rss/m/no-such-malet/blogs.xml', 404],
      ['/sitemap/m/no-such-malet/blogs.xml', 404],
      ['/rss/m/bad%20handle/blogs.xml', 400],
      ['/rss/m/%3Cscript%3E/blogs.xml', 400],
      ['/sitemap-blogs-7.xml', 404],
    ];
    for (const [path, status] of cases) {
      const response = await curl(path);
      expect(response.status, path).toBe(status);
      expect(response.headers.get('content-type')).toBe('application/xml; charset=utf-8');
      expect(await xpath(response.body, 'string(/error/status)')).toBe(String(status));
    }
  });
});

describe('content GraphQL through the gateway', () => {
  const POST = 'id slug title status url bodyHtml publishedAt author { id username } malet { handle owner { username } }';

  it('reads a Malet with its owner joined from the users subgraph, and its published posts by page', async () => {
    const result = await suite.graphql<{ malet: Record<string, unknown> & { posts: { nodes: { title: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } } }>(
      `{ malet(handle: "My-Coffee-Shop") { handle name url rssUrl owner { id username } posts(first: 2) { nodes { title status } pageInfo { hasNextPage endCursor } } } }`,
    );
    expect(result.errors).toBeUndefined();
    const malet = result.data!.malet;
    expect(malet).toMatchObject({ handle: HANDLE, name: 'My Coffee Shop', url: `${PUBLIC_BASE_URL}/m/${HANDLE}`, owner: { id: owner.user.id, username: 'user' } });
    expect(malet.posts.nodes).toHaveLength(2);
    expect(malet.posts.pageInfo.hasNextPage).toBe(true);
    const next = await suite.graphql<{ malet: { posts: { nodes: { title: string }[]; pageInfo: { hasNextPage: boolean } } } }>(
      'query ($after: String) { malet(handle: "my-coffee-shop") { posts(first: 2, after: $after) { nodes { title } pageInfo { hasNextPage } } } }',
      { variables: { after: malet.posts.pageInfo.endCursor } },
    );
    expect(next.data!.malet.posts.nodes).toHaveLength(1);
    expect(next.data!.malet.posts.pageInfo.hasNextPage).toBe(false);
  });

  it('contributes User.malets: me { malets } joins auth and content-feed', async () => {
    const result = await suite.graphql<{ me: { email: string; malets: { handle: string }[] } }>('{ me { email malets { handle } } }', { token: owner.token });
    expect(result.errors).toBeUndefined();
    expect(result.data!.me).toEqual({ email: 'user@example.com', malets: [{ handle: HANDLE }] });
  });

  it('lists my Malets with drafts for the owner; anonymous gets UNAUTHENTICATED and strangers FORBIDDEN for drafts', async () => {
    const mine = await suite.graphql<{ myMalets: { handle: string; posts: { nodes: { status: string }[] } }[] }>(
      '{ myMalets { handle posts(includeDrafts: true) { nodes { status } } } }',
      { token: owner.token },
    );
    expect(mine.errors).toBeUndefined();
    expect(mine.data!.myMalets[0]!.posts.nodes.map((node) => node.status).sort()).toEqual(['DRAFT', 'PUBLISHED', 'PUBLISHED', 'PUBLISHED']);
    expect(code(await suite.graphql('{ myMalets { handle } }'))).toBe('UNAUTHENTICATED');
    expect(code(await suite.graphql('{ malet(handle: "my-coffee-shop") { posts(includeDrafts: true) { nodes { id } } } }', { token: stranger.token }))).toBe('FORBIDDEN');
  });

  it('runs the whole post lifecycle for the owner, and the feed follows at once', async () => {
    const created = await suite.graphql<{ createBlogPost: { id: string; slug: string; status: string; author: { username: string } } }>(
      `mutation { createBlogPost(handle: "my-coffee-shop", input: {title: "Gateway <special> & more", body: "Hello *there*"}) { ${POST} } }`,
      { token: owner.token },
    );
    expect(created.errors).toBeUndefined();
    const post = created.data!.createBlogPost;
    expect(post).toMatchObject({ slug: 'gateway-special-more', status: 'DRAFT', author: { username: 'user' } });
    const rssPath = `/rss/m/${HANDLE}/blogs.xml`;
    const inFeed = async () => (await rssParser.parseString((await curl(rssPath)).body)).items.some((item) => item.guid === `urn:uuid:${post.id}`);

    const updated = await suite.graphql<{ updateBlogPost: { title: string; bodyHtml: string } }>(
      'mutation ($id: ID!) { updateBlogPost(id: $id, input: {title: "Gateway <special> & more!", body: "<script>x</script>Hi"}) { title bodyHtml } }',
      { token: owner.token, variables: { id: post.id } },
    );
    expect(updated.data!.updateBlogPost.bodyHtml).not.toContain('<script');

    const byHandleAndSlug = 'query ($s: String!) { blogPost(handle: "my-coffee-shop", slug: $s) { title } }';
    expect((await suite.graphql<{ blogPost: unknown }>(byHandleAndSlug, { variables: { s: post.slug } })).data!.blogPost).toBeNull();
    expect(await inFeed()).toBe(false);

    const publish = await suite.graphql<{ publishBlogPost: { status: string } }>('mutation ($id: ID!) { publishBlogPost(id: $id) { status } }', { token: owner.token, variables: { id: post.id } });
    expect(publish.data!.publishBlogPost.status).toBe('PUBLISHED');
    expect((await suite.graphql<{ blogPost: unknown }>(byHandleAndSlug, { variables: { s: post.slug } })).data!.blogPost).toEqual({ title: 'Gateway <special> & more!' });
    expect(await inFeed()).toBe(true);

    expect(code(await suite.graphql('mutation ($id: ID!) { unpublishBlogPost(id: $id) { status } }', { token: stranger.token, variables: { id: post.id } }))).toBe('FORBIDDEN');
    expect(code(await suite.graphql('mutation ($id: ID!) { unpublishBlogPost(id: $id) { status } }', { variables: { id: post.id } }))).toBe('UNAUTHENTICATED');
    await suite.graphql('mutation ($id: ID!) { unpublishBlogPost(id: $id) { status } }', { token: owner.token, variables: { id: post.id } });
    expect(await inFeed()).toBe(false);

    await suite.graphql('mutation ($id: ID!) { publishBlogPost(id: $id) { status } }', { token: owner.token, variables: { id: post.id } });
    expect(code(await suite.graphql('mutation ($id: ID!) { deleteBlogPost(id: $id) }', { token: stranger.token, variables: { id: post.id } }))).toBe('FORBIDDEN');
    const deleted = await suite.graphql<{ deleteBlogPost: boolean }>('mutation ($id: ID!) { deleteBlogPost(id: $id) }', { token: owner.token, variables: { id: post.id } });
    expect(deleted.data!.deleteBlogPost).toBe(true);
    expect(await inFeed()).toBe(false);
    expect((await curl('/sitemap-blogs.xml')).body).not.toContain(post.slug);
  });

  it('creates, updates and deletes a Malet for its owner; others FORBIDDEN, anonymous UNAUTHENTICATED, bad input BAD_USER_INPUT', async () => {
    expect(code(await suite.graphql('mutation { createMalet(input: {handle: "gw-shop", name: "GW"}) { id } }'))).toBe('UNAUTHENTICATED');
    expect(code(await suite.graphql('mutation { createMalet(input: {handle: "admin", name: "GW"}) { id } }', { token: owner.token }))).toBe('BAD_USER_INPUT');
    expect(code(await suite.graphql('mutation { createMalet(input: {handle: "bad handle", name: "GW"}) { id } }', { token: owner.token }))).toBe('BAD_USER_INPUT');
    expect(code(await suite.graphql('mutation { createMalet(input: {handle: "my-coffee-shop", name: "GW"}) { id } }', { token: stranger.token }))).toBe('CONFLICT');
    const created = await suite.graphql<{ createMalet: { handle: string; owner: { username: string } } }>(
      'mutation { createMalet(input: {handle: "GW-Shop", name: "GW"}) { handle owner { username } } }',
      { token: owner.token },
    );
    expect(created.data!.createMalet).toEqual({ handle: 'gw-shop', owner: { username: 'user' } });

    const update = 'mutation { updateMalet(handle: "gw-shop", input: {name: "Gateway shop"}) { name } }';
    expect(code(await suite.graphql(update, { token: stranger.token }))).toBe('FORBIDDEN');
    expect(code(await suite.graphql(update))).toBe('UNAUTHENTICATED');
    expect((await suite.graphql<{ updateMalet: { name: string } }>(update, { token: owner.token })).data!.updateMalet.name).toBe('Gateway shop');
    expect(code(await suite.graphql('mutation { createBlogPost(handle: "gw-shop", input: {title: "x", body: "y"}) { id } }', { token: stranger.token }))).toBe('FORBIDDEN');
    expect(code(await suite.graphql('mutation { createBlogPost(handle: "gw-shop", input: {title: "x", slug: "Bad Slug", body: "y"}) { id } }', { token: owner.token }))).toBe('BAD_USER_INPUT');

    const remove = 'mutation { deleteMalet(handle: "gw-shop") }';
    expect(code(await suite.graphql(remove, { token: stranger.token }))).toBe('FORBIDDEN');
    expect((await suite.graphql<{ deleteMalet: boolean }>(remove, { token: owner.token })).data!.deleteMalet).toBe(true);
    expect((await curl('/rss/m/gw-shop/blogs.xml')).status).toBe(404);
  });
});
