import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { signedInUser, startAuthForFile, type HttpAnswer, startProviderStandInForFile } from './support';

const providers = startProviderStandInForFile();

const { auth, api } = startAuthForFile(() => ({ env: providers().authEnv() }));

/** Rows of everything these routes could write, once auth's background work has settled. */
async function footprint() {
  await auth.background.settled();
  const [counts] = await auth.rows(sql`
    select (select count(*)::int from oauth_flows) as flows,
           (select count(*)::int from oauth_pending_links) as pending_links,
           (select count(*)::int from linked_identities) as links,
           (select count(*)::int from mobile_id_token_nonces) as mobile_nonces,
           (select count(*)::int from siwe_nonces) as siwe_nonces,
           (select count(*)::int from identities) as identities,
           (select count(*)::int from sessions) as sessions`);
  return counts;
}

/** The platform's error shape with a 4xx: `{status, code, details}`, the status the response's own. */
function expectErrorShape(answer: HttpAnswer, what: string) {
  expect(answer.status, what).toBeGreaterThanOrEqual(400);
  expect(answer.status, what).toBeLessThan(500);
  expect(answer.body, what).toMatchObject({ status: answer.status, code: expect.stringMatching(/^[a-z_]+:[a-z_]+$/), details: expect.any(String) });
}

const long = (length: number) => 'a'.repeat(length);
const form = { 'content-type': 'application/x-www-form-urlencoded' };

describe('bad input to social sign-in, the mobile exchange and SIWE: a 4xx in the error shape, and nothing stored', () => {
  it('anonymous requests', async () => {
    const before = await footprint();
    const requests: [string, string, unknown?, Record<string, string>?][] = [
      ['GET', `/auth/oauth/google?return_to=${long(2049)}`],
      ['GET', `/auth/oauth/google?login_hint=${long(321)}`],
      ['GET', '/auth/oauth/google?return_to=a&return_to=b'],
      ['GET', '/auth/oauth/google?return_to=http%3A%2F%2Fevil.example'],
      ['GET', `/auth/oauth/${long(40)}`],
      ['GET', '/auth/oauth/%00'],
      ['GET', '/auth/oauth/google/callback'],
      ['GET', `/auth/oauth/google/callback?code=${long(5000)}&state=x`],
      ['GET', '/auth/oauth/google/callback?state=a&state=b&code=c'],
      ['GET', '/auth/oauth/google/callback?error=access_denied'],
      ['POST', '/auth/oauth/apple/callback', 'code=a&state=b', form],
      ['POST', '/auth/oauth/apple/callback', `code=${long(5000)}`, form],
      ['POST', '/auth/oauth/apple/callback', '{"code": ', { 'content-type': 'application/json' }],
      ['POST', '/auth/oauth/github/callback', 'code=a&state=b', form],
      ['GET', '/auth/oauth/github/link'],
      ['GET', '/auth/oauth/connections'],
      ['POST', '/auth/oauth/connections/unlink', { provider: 'google' }],
      ['POST', '/auth/oauth/link/confirm'],
      ['POST', '/auth/mobile/token', { provider: 'google', access_token: long(8193) }],
      ['POST', '/auth/mobile/token', { provider: { $ne: '' }, access_token: 'a' }],
      ['POST', '/auth/mobile/token', { provider: 'google', id_token: 'not.a.jwt', nonce: 'n' }],
      ['POST', '/auth/mobile/token', { provider: 'apple', id_token: long(100), nonce: long(513) }],
      ['POST', '/auth/mobile/token', '[1, 2, 3]'],
      ['POST', '/auth/mobile/refresh', {}],
      ['POST', '/auth/mobile/refresh', { refresh_token: 'ref_garbage' }],
      ['POST', '/auth/mobile/refresh', { refresh_token: 'x', extra: true }],
      ['POST', '/auth/mobile/logout', undefined, { authorization: 'Bearer nonsense' }],
      ['POST', '/auth/metamask/nonce', { address: 123 }],
      ['POST', '/auth/metamask/nonce', { address: '0x742d35cc6634c0532925a3b844bc454e4438f44e', chain_id: 'one' }],
      ['POST', '/auth/metamask/nonce', { address: '0x742d35cc6634c0532925a3b844bc454e4438f44e', chain_id: -1 }],
      ['POST', '/auth/metamask/verify', { address: '0x742d35cc6634c0532925a3b844bc454e4438f44e', signature: '0x00', message: long(4097), nonce: 'abcdefgh' }],
      ['POST', '/auth/metamask/verify', { address: '0x742d35cc6634c0532925a3b844bc454e4438f44e', signature: '0x00', message: 'hello', nonce: 'short' }],
      ['POST', '/auth/metamask/verify', '{"address": '],
    ];
    for (const [method, path, body, headers] of requests) {
      expectErrorShape(await api.request(method, path, body, { headers, redirect: 'manual' }), `${method} ${path.slice(0, 60)} ${JSON.stringify(body)?.slice(0, 60)}`);
    }
    expect(await footprint()).toEqual(before);
  });

  it('signed-in requests', async () => {
    const { headers } = await signedInUser(auth, 'bad.input@example.com');
    const before = await footprint();
    const requests: [string, string, unknown?, Record<string, string>?][] = [
      ['POST', '/auth/oauth/connections/unlink', { provider: 'myspace' }],
      ['POST', '/auth/oauth/connections/unlink', { provider: 'google', extra: 1 }],
      ['POST', '/auth/oauth/connections/unlink', { provider: 'google' }],
      ['POST', '/auth/oauth/link/confirm', undefined],
      ['POST', '/auth/oauth/link/confirm', undefined, { cookie: `malet_oauth_link=lnk_${long(43)}` }],
      ['GET', '/auth/oauth/myspace/link'],
      ['GET', '/auth/oauth/google/link?return_to=https%3A%2F%2Fevil.example'],
      ['POST', '/auth/metamask/link', { address: '0x742d35cc6634c0532925a3b844bc454e4438f44e', signature: '0x00', message: 'hello', nonce: 'abcdefgh' }],
    ];
    for (const [method, path, body, extra] of requests) {
      expectErrorShape(await api.request(method, path, body, { headers: { ...headers, ...extra }, redirect: 'manual' }), `${method} ${path} ${JSON.stringify(body)}`);
    }
    expect(await footprint()).toEqual(before);
  });
});
