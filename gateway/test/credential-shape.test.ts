import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@malet/testing';
import { startGatewayTestInstance, type GatewayTestInstance } from './gateway-test-instance';

let suite: GatewayTestInstance;
beforeAll(async () => {
  // A long cache TTL: only eviction (or never caching) can make the gateway refuse a cached credential.
  suite = await startGatewayTestInstance({ env: { gateway: { SESSION_CACHE_TTL_MS: '600000' } } });
});
afterAll(() => suite?.stop());

/** How many cookie validations auth has answered (its own request metrics). */
async function cookieValidationsAtAuth(): Promise<number> {
  const text = await (await fetch(`${suite.urls.auth}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('http_server_request_duration_seconds_count') && line.includes('route="/auth/validate"'))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

const meWithCookie = (cookie: string) =>
  suite.graphql<{ me: { id: string } | null }>('{ me { id } }', { headers: { cookie } });

describe('a credential is shape-checked before the gateway caches it', () => {
  it('refuses percent-encoded and padded aliases of a live session without asking auth, so none outlives a logout', async () => {
    const { token } = await suite.devToken('user@example.com');
    // Each decodes (cookie percent-decoding) to the token plus blanks that auth's own cookie
    // parser trims: before the check, each was validated by auth and cached under its own hash.
    const aliases = [`session_token=${token}%20`, `session_token=${token}%09`, `session_token=%20${token}`, `session_token="${token} "`];
    const before = await cookieValidationsAtAuth();
    for (const alias of aliases) {
      const result = await meWithCookie(alias);
      expect({ alias, code: result.errors?.[0]?.extensions?.code, me: result.data?.me ?? null }).toEqual({ alias, code: 'UNAUTHENTICATED', me: null });
    }
    // The canonical cookie validates (one call at auth); none of the aliases reached auth.
    expect((await meWithCookie(`session_token=${token}`)).data?.me?.id).toBeTruthy();
    expect((await cookieValidationsAtAuth()) - before).toBe(1);

    const logout = await fetch(`${suite.urls.auth}/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(logout.status).toBe(200);
    await waitFor(async () => (await meWithCookie(`session_token=${token}`)).errors?.[0]?.extensions?.code === 'UNAUTHENTICATED' || null, {
      timeoutMs: 20_000,
      intervalMs: 50,
      what: 'the canonical cookie to be refused after logout',
    });
    for (const alias of aliases) expect((await meWithCookie(alias)).errors?.[0]?.extensions?.code, alias).toBe('UNAUTHENTICATED');
  });

  it('accepts a cookie whose percent-encoding decodes to the token itself: it is the same credential, evicted by the same hash', async () => {
    const { token } = await suite.devToken('user@example.com');
    const encoded = `session_token=%73${token.slice(1)}`; // %73 is "s"
    expect((await meWithCookie(encoded)).data?.me?.id).toBeTruthy();
    const logout = await fetch(`${suite.urls.auth}/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(logout.status).toBe(200);
    await waitFor(async () => (await meWithCookie(encoded)).errors?.[0]?.extensions?.code === 'UNAUTHENTICATED' || null, {
      timeoutMs: 20_000,
      intervalMs: 50,
      what: 'the encoded cookie to be refused after logout',
    });
  });
});
