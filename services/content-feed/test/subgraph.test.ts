import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { INTERNAL_TOKEN_HEADER } from '@malet/internal-auth';
import { startContentFeedTestInstance, TEST_PUBLIC_BASE_URL, type ContentFeedTestInstance } from './content-feed-test-instance';

let cf: ContentFeedTestInstance;
let owner: string;
let stranger: string;

beforeAll(async () => {
  cf = await startContentFeedTestInstance();
  owner = cf.newUserId();
  stranger = cf.newUserId();
});
afterAll(() => cf?.stop());

const MALET_FIELDS = 'id handle name description url rssUrl createdAt updatedAt owner { id }';
const POST_FIELDS = 'id slug title summary bodyMarkdown bodyHtml status url publishedAt createdAt updatedAt author { id } malet { id handle }';

type Row = Record<string, unknown>;

async function createMalet(handle: string, as = owner, extra: Row = {}) {
  const result = await cf.graphql<{ createMalet: Row }>(
    `mutation ($input: CreateMaletInput!) { createMalet(input: $input) { ${MALET_FIELDS} } }`,
    { input: { handle, name: `Malet ${handle}`, ...extra } },
    { userId: as },
  );
  expect(result.errors).toBeUndefined();
  return result.data!.createMalet;
}

async function createPost(handle: string, input: Row, as = owner) {
  const result = await cf.graphql<{ createBlogPost: Row }>(
    `mutation ($handle: String!, $input: CreateBlogPostInput!) { createBlogPost(handle: $handle, input: $input) { ${POST_FIELDS} } }`,
    { handle, input: { body: 'Hello', ...input } },
    { userId: as },
  );
  expect(result.errors).toBeUndefined();
  return result.data!.createBlogPost;
}

function errorCode(result: { errors?: { extensions?: { code?: string } }[] }) {
  return result.errors?.[0]?.extensions?.code;
}

describe('subgraph: Malets', () => {
  it('creates a Malet with a lower-cased handle, absolute URLs and the owner as a User reference', async () => {
    const malet = await createMalet('Roastery-One', owner, { description: 'Beans' });
    expect(malet).toMatchObject({
      handle: 'roastery-one',
      name: 'Malet Roastery-One',
      description: 'Beans',
      url: `${TEST_PUBLIC_BASE_URL}/m/roastery-one`,
      rssUrl: `${TEST_PUBLIC_BASE_URL}/rss/m/roastery-one/blogs.xml`,
      owner: { id: owner },
    });
    expect(Date.parse(String(malet.createdAt))).not.toBeNaN();
  });

  it('finds a Malet by handle case-insensitively; unknown or malformed handles give null', async () => {
    await createMalet('lookup-shop');
    const found = await cf.graphql<{ malet: Row | null }>('query ($h: String!) { malet(handle: $h) { handle } }', { h: 'LOOKUP-Shop' });
    expect(found.data!.malet).toEqual({ handle: 'lookup-shop' });
    for (const h of ['no-such-shop', 'bad handle!', '<script>', 'x'.repeat(500)]) {
      const missing = await cf.graphql<{ malet: Row | null }>('query ($h: String!) { malet(handle: $h) { handle } }', { h });
      expect(missing.errors).toBeUndefined();
      expect(missing.data!.malet).toBeNull();
    }
  });

  it('refuses malformed, reserved and taken handles with 4xx codes', async () => {
    await createMalet('taken-handle');
    const cases: [string, string][] = [
      ['ab', 'BAD_USER_INPUT'],
      ['bad handle', 'BAD_USER_INPUT'],
      ['-dash-first', 'BAD_USER_INPUT'],
      ['double--dash', 'BAD_USER_INPUT'],
      ['café', 'BAD_USER_INPUT'],
      ['admin', 'BAD_USER_INPUT'],
      ['Sitemap', 'BAD_USER_INPUT'],
      ['TAKEN-handle', 'CONFLICT'],
    ];
    for (const [handle, code] of cases) {
      const result = await cf.graphql('mutation ($i: CreateMaletInput!) { createMalet(input: $i) { id } }', { i: { handle, name: 'x' } }, { userId: owner });
      expect(errorCode(result), handle).toBe(code);
    }
    const reserved = await cf.graphql('mutation { createMalet(input: {handle: "admin", name: "x"}) { id } }', {}, { userId: owner });
    expect(reserved.errors![0]!.extensions!.reason).toBe('malet:handle_reserved');
  });

  it('validates names: empty, too long and control characters are BAD_USER_INPUT naming the field', async () => {
    for (const name of ['   ', 'x'.repeat(101), 'bell\u0007name']) {
      const result = await cf.graphql('mutation ($i: CreateMaletInput!) { createMalet(input: $i) { id } }', { i: { handle: 'name-check', name } }, { userId: owner });
      expect(errorCode(result)).toBe('BAD_USER_INPUT');
      expect(result.errors![0]!.message).toContain('input.name');
      expect(result.errors![0]!.message).not.toContain('bell');
    }
  });

  it('updates and deletes a Malet for its owner only: anonymous UNAUTHENTICATED, others FORBIDDEN', async () => {
    await createMalet('change-me');
    const update = 'mutation ($h: String!, $i: UpdateMaletInput!) { updateMalet(handle: $h, input: $i) { handle name description } }';
    expect(errorCode(await cf.graphql(update, { h: 'change-me', i: { name: 'x' } }))).toBe('UNAUTHENTICATED');
    expect(errorCode(await cf.graphql(update, { h: 'change-me', i: { name: 'x' } }, { userId: stranger }))).toBe('FORBIDDEN');
    expect(errorCode(await cf.graphql(update, { h: 'nobody-here', i: { name: 'x' } }, { userId: owner }))).toBe('NOT_FOUND');

    const updated = await cf.graphql<{ updateMalet: Row }>(update, { h: 'change-me', i: { handle: 'Changed', name: 'New name', description: 'New' } }, { userId: owner });
    expect(updated.data!.updateMalet).toEqual({ handle: 'changed', name: 'New name', description: 'New' });
    const cleared = await cf.graphql<{ updateMalet: Row }>(update, { h: 'changed', i: { description: '' } }, { userId: owner });
    expect(cleared.data!.updateMalet.description).toBeNull();
    expect(errorCode(await cf.graphql(update, { h: 'changed', i: { handle: 'taken-handle' } }, { userId: owner }))).toBe('CONFLICT');

    const del = 'mutation ($h: String!) { deleteMalet(handle: $h) }';
    expect(errorCode(await cf.graphql(del, { h: 'changed' }))).toBe('UNAUTHENTICATED');
    expect(errorCode(await cf.graphql(del, { h: 'changed' }, { userId: stranger }))).toBe('FORBIDDEN');
    expect((await cf.graphql<{ deleteMalet: boolean }>(del, { h: 'changed' }, { userId: owner })).data!.deleteMalet).toBe(true);
    expect((await cf.graphql<{ malet: Row | null }>('{ malet(handle: "changed") { id } }')).data!.malet).toBeNull();
  });

  it('lists my Malets, drafts reachable; anonymous callers get UNAUTHENTICATED', async () => {
    const me = cf.newUserId();
    await createMalet('mine-one', me);
    await createMalet('mine-two', me);
    const post = await createPost('mine-one', { title: 'Unpublished thought' }, me);
    const query = '{ myMalets { handle posts(includeDrafts: true) { nodes { id status } } } }';
    const mine = await cf.graphql<{ myMalets: { handle: string; posts: { nodes: Row[] } }[] }>(query, {}, { userId: me });
    expect(mine.data!.myMalets.map((m) => m.handle)).toEqual(['mine-one', 'mine-two']);
    expect(mine.data!.myMalets[0]!.posts.nodes).toEqual([{ id: post.id, status: 'DRAFT' }]);
    expect(errorCode(await cf.graphql(query))).toBe('UNAUTHENTICATED');
    const notOwner = await cf.graphql('{ malet(handle: "mine-one") { posts(includeDrafts: true) { nodes { id } } } }', {}, { userId: stranger });
    expect(errorCode(notOwner)).toBe('FORBIDDEN');
  });

  it('caps the number of Malets one user may own', async () => {
    const hoarder = cf.newUserId();
    await cf.pool.query(
      `insert into malets (handle, name, owner_id) select 'hoard-' || n, 'x', $1 from generate_series(1, 50) n`,
      [hoarder],
    );
    const result = await cf.graphql('mutation { createMalet(input: {handle: "hoard-51", name: "x"}) { id } }', {}, { userId: hoarder });
    expect(errorCode(result)).toBe('CONFLICT');
  });
});

describe('subgraph: blog posts', () => {
  let handle: string;
  beforeAll(async () => {
    handle = String((await createMalet('post-shop')).handle);
  });

  it('creates a draft with a slug derived from the title and Markdown rendered to sanitised HTML', async () => {
    const post = await createPost(handle, {
      title: 'Crème brûlée & co.',
      body: '# Hi\n\n<script>alert(1)</script>\n\n[click](javascript:alert(1)) [data](data:text/html,x) <img src="https://x.test/a.png" onerror="alert(1)"> <a href="https://ok.test" onclick="x()">ok</a>',
    });
    expect(post).toMatchObject({ slug: 'creme-brulee-co', status: 'DRAFT', publishedAt: null, author: { id: owner }, malet: { handle } });
    expect(post.url).toBe(`${TEST_PUBLIC_BASE_URL}/m/${handle}/blog/creme-brulee-co`);
    const html = String(post.bodyHtml);
    expect(html).toContain('<h1>Hi</h1>');
    expect(html).toContain('href="https://ok.test"');
    expect(html).not.toMatch(/<script|onerror|onclick|href="(javascript|data):/i);
    expect(html).toContain('>click</a>');
    const again = await createPost(handle, { title: 'Crème brûlée & co.' });
    expect(again.slug).toBe('creme-brulee-co-2');
  });

  it('refuses bad and taken slugs, and bad titles, with 4xx codes', async () => {
    await createPost(handle, { title: 'x', slug: 'fixed-slug' });
    const create = 'mutation ($h: String!, $i: CreateBlogPostInput!) { createBlogPost(handle: $h, input: $i) { id } }';
    const cases: [Row, string][] = [
      [{ title: 'x', slug: 'bad slug', body: 'b' }, 'BAD_USER_INPUT'],
      [{ title: 'x', slug: '../etc/passwd', body: 'b' }, 'BAD_USER_INPUT'],
      [{ title: 'x', slug: 'x'.repeat(101), body: 'b' }, 'BAD_USER_INPUT'],
      [{ title: 'x', slug: 'fixed-slug', body: 'b' }, 'CONFLICT'],
      [{ title: '', body: 'b' }, 'BAD_USER_INPUT'],
      [{ title: 'nul\u0000char', body: 'b' }, 'BAD_USER_INPUT'],
      [{ title: 'x', body: 'x'.repeat(100_001) }, 'BAD_USER_INPUT'],
    ];
    for (const [input, code] of cases) {
      expect(errorCode(await cf.graphql(create, { h: handle, i: input }, { userId: owner })), JSON.stringify(input).slice(0, 60)).toBe(code);
    }
    expect(errorCode(await cf.graphql(create, { h: 'no-such-malet', i: { title: 'x', body: 'b' } }, { userId: owner }))).toBe('NOT_FOUND');
    expect(errorCode(await cf.graphql(create, { h: handle, i: { title: 'x', body: 'b' } }))).toBe('UNAUTHENTICATED');
    expect(errorCode(await cf.graphql(create, { h: handle, i: { title: 'x', body: 'b' } }, { userId: stranger }))).toBe('FORBIDDEN');
  });

  it('updates, publishes, unpublishes and deletes a post for the owner only', async () => {
    const post = await createPost(handle, { title: 'Lifecycle' });
    const id = String(post.id);
    const ops = {
      update: ['mutation ($id: ID!) { updateBlogPost(id: $id, input: {title: "Lifecycle 2", body: "**bold**", summary: "S"}) { title bodyHtml summary } }', 'updateBlogPost'],
      publish: ['mutation ($id: ID!) { publishBlogPost(id: $id) { status publishedAt } }', 'publishBlogPost'],
      unpublish: ['mutation ($id: ID!) { unpublishBlogPost(id: $id) { status publishedAt } }', 'unpublishBlogPost'],
      remove: ['mutation ($id: ID!) { deleteBlogPost(id: $id) }', 'deleteBlogPost'],
    } as const;
    for (const [query] of Object.values(ops)) {
      expect(errorCode(await cf.graphql(query, { id }))).toBe('UNAUTHENTICATED');
    }
    // A stranger cannot learn that a draft exists.
    expect(errorCode(await cf.graphql(ops.update[0], { id }, { userId: stranger }))).toBe('NOT_FOUND');

    const updated = await cf.graphql<{ updateBlogPost: Row }>(ops.update[0], { id }, { userId: owner });
    expect(updated.data!.updateBlogPost).toEqual({ title: 'Lifecycle 2', bodyHtml: '<p><strong>bold</strong></p>', summary: 'S' });

    const published = await cf.graphql<{ publishBlogPost: Row }>(ops.publish[0], { id }, { userId: owner });
    expect(published.data!.publishBlogPost.status).toBe('PUBLISHED');
    const firstPublishedAt = published.data!.publishBlogPost.publishedAt;
    expect(firstPublishedAt).toBeTruthy();
    for (const [query] of Object.values(ops)) {
      expect(errorCode(await cf.graphql(query, { id }, { userId: stranger }))).toBe('FORBIDDEN');
    }

    const unpublished = await cf.graphql<{ unpublishBlogPost: Row }>(ops.unpublish[0], { id }, { userId: owner });
    expect(unpublished.data!.unpublishBlogPost).toEqual({ status: 'DRAFT', publishedAt: firstPublishedAt });
    const republished = await cf.graphql<{ publishBlogPost: Row }>(ops.publish[0], { id }, { userId: owner });
    expect(republished.data!.publishBlogPost.publishedAt).toBe(firstPublishedAt);

    expect((await cf.graphql<{ deleteBlogPost: boolean }>(ops.remove[0], { id }, { userId: owner })).data!.deleteBlogPost).toBe(true);
    expect(errorCode(await cf.graphql(ops.remove[0], { id }, { userId: owner }))).toBe('NOT_FOUND');
    expect(errorCode(await cf.graphql(ops.remove[0], { id: 'not-a-uuid' }, { userId: owner }))).toBe('NOT_FOUND');
  });

  it('answers blogPost(handle, slug): published for all, drafts for the owner only, bad input null', async () => {
    await createPost(handle, { title: 'Public one', slug: 'public-one', publish: true });
    await createPost(handle, { title: 'Secret draft', slug: 'secret-draft' });
    const query = 'query ($h: String!, $s: String!) { blogPost(handle: $h, slug: $s) { slug status } }';
    expect((await cf.graphql<{ blogPost: Row }>(query, { h: handle.toUpperCase(), s: 'public-one' })).data!.blogPost).toEqual({ slug: 'public-one', status: 'PUBLISHED' });
    expect((await cf.graphql<{ blogPost: Row }>(query, { h: handle, s: 'secret-draft' })).data!.blogPost).toBeNull();
    expect((await cf.graphql<{ blogPost: Row }>(query, { h: handle, s: 'secret-draft' }, { userId: stranger })).data!.blogPost).toBeNull();
    expect((await cf.graphql<{ blogPost: Row }>(query, { h: handle, s: 'secret-draft' }, { userId: owner })).data!.blogPost).toEqual({ slug: 'secret-draft', status: 'DRAFT' });
    for (const [h, s] of [[handle, '../x'], [handle, 'x'.repeat(300)], ['bad handle', 'public-one'], [handle, '']]) {
      const result = await cf.graphql<{ blogPost: Row }>(query, { h, s });
      expect(result.errors).toBeUndefined();
      expect(result.data!.blogPost).toBeNull();
    }
  });
});

describe('subgraph: pagination and batching', () => {
  it('pages published posts newest first by cursor, never showing drafts, and rejects bad cursors', async () => {
    const malet = await createMalet('paged-shop');
    await cf.pool.query(
      `insert into blog_posts (malet_id, slug, title, body_markdown, body_html, author_id, status, published_at)
       select $1, 'p-' || n, 'Post ' || n, 'b', '<p>b</p>', $2, case when n % 5 = 0 then 'draft' else 'published' end,
              case when n % 5 = 0 then null else timestamp '2026-01-01' + n * interval '1 hour' end
       from generate_series(1, 25) n`,
      [malet.id, owner],
    );
    const query = 'query ($after: String) { malet(handle: "paged-shop") { posts(first: 7, after: $after) { edges { cursor node { slug status } } pageInfo { hasNextPage endCursor } } } }';
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const result: { data: { malet: { posts: { edges: { node: { slug: string; status: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } } | null } =
        await cf.graphql(query, { after });
      const posts = result.data!.malet.posts;
      seen.push(...posts.edges.map((edge) => edge.node.slug));
      expect(posts.edges.every((edge) => edge.node.status === 'PUBLISHED')).toBe(true);
      if (!posts.pageInfo.hasNextPage) break;
      after = posts.pageInfo.endCursor;
    }
    const expected = Array.from({ length: 25 }, (_, i) => 25 - i).filter((n) => n % 5 !== 0).map((n) => `p-${n}`);
    expect(seen).toEqual(expected);

    for (const bad of ['garbage', Buffer.from('["x","y"]').toString('base64url')]) {
      expect(errorCode(await cf.graphql(query, { after: bad }))).toBe('BAD_USER_INPUT');
    }
    expect(errorCode(await cf.graphql('{ malet(handle: "paged-shop") { posts(first: 1000) { nodes { id } } } }'))).toBe('BAD_USER_INPUT');
  });

  it('resolves User.malets, Malet and BlogPost entities in batches, not one query per row', async () => {
    const users = [cf.newUserId(), cf.newUserId(), cf.newUserId()];
    for (const [i, user] of users.entries()) await createMalet(`batch-${i}`, user);
    const posts = [];
    for (let i = 0; i < 6; i++) posts.push(await createPost(`batch-${i % 3}`, { title: `B ${i}`, publish: true }, users[i % 3]));

    const byOwners = vi.spyOn(cf.malets, 'listByOwners');
    const usersResult = await cf.graphql<{ _entities: { malets: { handle: string; owner: { id: string } }[] }[] }>(
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { malets { handle owner { id } } } } }',
      { r: users.map((id) => ({ __typename: 'User', id })) },
    );
    expect(usersResult.data!._entities.map((entity) => entity.malets.map((m) => m.handle))).toEqual([['batch-0'], ['batch-1'], ['batch-2']]);
    expect(byOwners).toHaveBeenCalledTimes(1);

    const maletsById = vi.spyOn(cf.malets, 'findManyByIds');
    const postsById = vi.spyOn(cf.posts, 'findManyByIds');
    const postResult = await cf.graphql<{ _entities: { slug: string; malet: { handle: string }; author: { id: string } }[] }>(
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on BlogPost { slug malet { handle } url author { id } } } }',
      { r: posts.map((post) => ({ __typename: 'BlogPost', id: post.id })) },
    );
    expect(postResult.data!._entities.map((entity) => entity.malet.handle)).toEqual(posts.map((post) => (post.malet as Row).handle));
    expect(postsById).toHaveBeenCalledTimes(1);
    expect(maletsById).toHaveBeenCalledTimes(1);

    // Three distinct, real Malets (posts 0 to 2 live in batch-0 to batch-2), in one query.
    const malets = posts.slice(0, 3).map((post) => post.malet as { id: string; handle: string });
    expect(new Set(malets.map((malet) => malet.id)).size).toBe(3);
    maletsById.mockClear();
    const maletEntities = await cf.graphql<{ _entities: ({ handle: string } | null)[] }>(
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Malet { handle } } }',
      { r: [...malets.map((malet) => ({ __typename: 'Malet', id: malet.id }))] },
    );
    expect(maletEntities.errors).toBeUndefined();
    expect(maletEntities.data!._entities).toEqual(malets.map((malet) => ({ handle: malet.handle })));
    expect(maletsById).toHaveBeenCalledTimes(1);
    expect([...maletsById.mock.calls[0]![0]].sort()).toEqual(malets.map((malet) => malet.id).sort());
    vi.restoreAllMocks();
  });

  it('hides draft BlogPost entities from everyone but the owner', async () => {
    const user = cf.newUserId();
    await createMalet('entity-drafts', user);
    const draft = await createPost('entity-drafts', { title: 'Hidden' }, user);
    const query = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on BlogPost { slug } } }';
    const r = [{ __typename: 'BlogPost', id: draft.id }, { __typename: 'BlogPost', id: 'not-a-uuid' }];
    expect((await cf.graphql<{ _entities: unknown[] }>(query, { r })).data!._entities).toEqual([null, null]);
    expect((await cf.graphql<{ _entities: unknown[] }>(query, { r }, { userId: user })).data!._entities).toEqual([{ slug: 'hidden' }, null]);
  });
});

describe('subgraph: access', () => {
  it('refuses /graphql without a valid internal token, even with a forged user header', async () => {
    const attempts: Record<string, string>[] = [{}, { [INTERNAL_TOKEN_HEADER]: 'forged' }, { 'x-user-id': owner }];
    for (const headers of attempts) {
      const response = await fetch(`${cf.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query: '{ myMalets { id } }' }),
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ status: 401 });
    }
  });
});
