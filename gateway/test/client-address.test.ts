import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '@malet/session-client';
import { startGatewayTestInstance, type GatewayTestInstance } from './gateway-test-instance';
import { clientFrom } from './loopback-client';

/**
 * Real clients on distinct loopback addresses (Linux routes all of 127.0.0.0/8 to lo): each
 * connects from its own source address, as two machines would. 127.0.0.5 plays a proxy the
 * gateway trusts (TRUST_PROXY); the others are plain clients.
 */
const TRUSTED_PROXY = '127.0.0.5';

let suite: GatewayTestInstance;
let authDb: pg.Client;
beforeAll(async () => {
  suite = await startGatewayTestInstance({ env: { gateway: { TRUST_PROXY: TRUSTED_PROXY } } });
  authDb = new pg.Client({ connectionString: suite.databaseUrls.auth });
  await authDb.connect();
});
afterAll(async () => {
  await authDb?.end();
  await suite?.stop();
});

async function post(address: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const answer = await clientFrom(address)(`${suite.gatewayUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: answer.status, body: answer.body ?? {} };
}

let attempt = 0;
/** A password sign-in through the gateway for an address nobody owns (a fresh one each time, so only the per-IP limit can bite). */
const signIn = (address: string, headers: Record<string, string> = {}) =>
  post(address, '/auth/login', { email: `nobody-${++attempt}@example.com`, password: 'wrong password 123' }, headers);

/** The address auth recorded for a session signed in through the gateway: the address auth believes sent it. */
async function addressAuthSaw(address: string, headers: Record<string, string>): Promise<string> {
  const { status, body } = await post(address, '/auth/dev/token', { email: 'user@example.com' }, headers);
  expect(status).toBe(200);
  const { rows } = await authDb.query('select ip from sessions where token_hash = $1', [hashToken(String(body.session_token))]);
  return rows[0].ip as string;
}

describe('the gateway determines the client address and tells auth only that', () => {
  it('holds auth\'s sign-in limit (3 per 10 s per IP) per real client however its X-Forwarded-For is forged; another client keeps its own budget', async () => {
    const forged = (n: number) => ({ 'x-forwarded-for': `198.51.100.${n}`, forwarded: `for=198.51.100.${n}`, 'x-real-ip': `198.51.100.${n}` });
    const firstThree = await Promise.all([1, 2, 3].map((n) => signIn('127.0.0.2', forged(n))));
    expect(firstThree.map((answer) => answer.status)).not.toContain(429);
    const fourth = await signIn('127.0.0.2', forged(4));
    expect(fourth).toMatchObject({ status: 429, body: { status: 429, code: 'rate_limit:exceeded' } });
    // A second real client is answered for itself (wrong password), not throttled in the first one's bucket.
    const other = await signIn('127.0.0.3');
    expect(other.status).not.toBe(429);
    expect(other.body).toMatchObject({ status: other.status });
  });

  it('behind its trusted proxy, counts per address the proxy reports: a forged left-most entry never resets a limit, two clients never share one', async () => {
    const behindProxy = (client: string, forgedLeftMost: string) => ({ 'x-forwarded-for': `${forgedLeftMost}, ${client}` });
    const firstThree = await Promise.all([1, 2, 3].map((n) => signIn(TRUSTED_PROXY, behindProxy('203.0.113.7', `192.0.2.${n}`))));
    expect(firstThree.map((answer) => answer.status)).not.toContain(429);
    expect((await signIn(TRUSTED_PROXY, behindProxy('203.0.113.7', '192.0.2.4'))).status).toBe(429);
    expect((await signIn(TRUSTED_PROXY, behindProxy('203.0.113.8', '192.0.2.4'))).status).not.toBe(429);
  });

  it('replaces X-Forwarded-For with the address it determined: the socket peer for a plain client, the proxy\'s report behind a trusted proxy', async () => {
    expect(await addressAuthSaw('127.0.0.2', { 'x-forwarded-for': '198.51.100.9' })).toBe('127.0.0.2');
    expect(await addressAuthSaw('127.0.0.2', { forwarded: 'for=198.51.100.9', 'x-real-ip': '198.51.100.9' })).toBe('127.0.0.2');
    expect(await addressAuthSaw(TRUSTED_PROXY, { 'x-forwarded-for': '198.51.100.9, 203.0.113.50' })).toBe('203.0.113.50');
    expect(await addressAuthSaw(TRUSTED_PROXY, {})).toBe(TRUSTED_PROXY);
  });

  it('treats an unparsable X-Forwarded-For from its trusted proxy as untrusted: the request counts as the proxy\'s, never as a pass', async () => {
    for (const header of ['garbage', '203.0.113.50:8080', '203.0.113.50;x', 'unknown']) {
      expect(await addressAuthSaw(TRUSTED_PROXY, { 'x-forwarded-for': header }), header).toBe(TRUSTED_PROXY);
    }
  });
});
