/**
 * Dev content: the Malet `my-coffee-shop`, owned by user@example.com, with three published
 * posts and one draft, so seed 000's `curl http://localhost:30000/rss/m/my-coffee-shop/blogs.xml`
 * answers out of the box. Goes through the public API (dev token, then GraphQL at the gateway)
 * like any client; idempotent: nothing is written when the Malet exists.
 */

const HANDLE = 'my-coffee-shop';
const OWNER_EMAIL = 'user@example.com';

const POSTS: { title: string; summary: string; body: string; publish: boolean }[] = [
  {
    title: 'We are open!',
    summary: 'Our doors open on Monday at 7am.',
    body: '# Welcome\n\nOur doors open on **Monday at 7am**. Come by for a free espresso on the first day.',
    publish: true,
  },
  {
    title: 'Meet our beans',
    summary: 'Where our coffee comes from.',
    body: 'We roast small batches from three farms:\n\n- Huila, Colombia\n- Yirgacheffe, Ethiopia\n- Minas Gerais, Brazil\n\nRead more on [our roaster\'s site](https://example.com/roaster).',
    publish: true,
  },
  {
    title: 'Pour-over 101',
    summary: 'A five-minute guide to a better cup at home.',
    body: '1. Rinse the filter.\n2. Use 15 g of coffee for 250 g of water.\n3. Bloom for 30 seconds.\n4. Pour slowly in circles.\n\n> Patience is the secret ingredient.',
    publish: true,
  },
  {
    title: 'Autumn menu (draft)',
    summary: 'Not ready yet.',
    body: 'Pumpkin spice? Maybe. Cardamom bun? Definitely.',
    publish: false,
  },
];

async function graphql<T>(gatewayUrl: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(`${gatewayUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
  if (!response.ok || body.errors?.length || !body.data) {
    throw new Error(`dev content seed: GraphQL failed (${response.status}): ${body.errors?.map((error) => error.message).join('; ') ?? 'no data'}`);
  }
  return body.data;
}

export async function seedDevContent(options: { gatewayUrl: string; authUrl: string }): Promise<void> {
  const tokenResponse = await fetch(`${options.authUrl}/auth/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: OWNER_EMAIL }),
  });
  if (!tokenResponse.ok) throw new Error(`dev content seed: dev token failed (${tokenResponse.status})`);
  const { session_token: token } = (await tokenResponse.json()) as { session_token: string };

  const existing = await graphql<{ malet: { id: string } | null }>(options.gatewayUrl, token, 'query ($h: String!) { malet(handle: $h) { id } }', { h: HANDLE });
  if (existing.malet) return;

  await graphql(options.gatewayUrl, token, 'mutation ($i: CreateMaletInput!) { createMalet(input: $i) { id } }', {
    i: { handle: HANDLE, name: 'My Coffee Shop', description: 'Small-batch coffee, brewed with care. News and brewing guides.' },
  });
  for (const post of POSTS) {
    await graphql(options.gatewayUrl, token, 'mutation ($h: String!, $i: CreateBlogPostInput!) { createBlogPost(handle: $h, input: $i) { id } }', {
      h: HANDLE,
      i: post,
    });
  }
}
