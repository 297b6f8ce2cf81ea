import { describe, expect, it } from 'vitest';
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { createSiweMessage, parseSiweMessage } from 'viem/siwe';
import { bearer, createTestClock, signedInUser, startAuthForFile } from './support';

const clock = createTestClock();
const { auth, api } = startAuthForFile({ clock, env: { SIWE_ORIGINS: 'https://app.example.com,http://localhost:3000', SIWE_CHAIN_IDS: '1,10' } });

type Nonce = { nonce: string; message: string; domain: string; uri: string; chain_id: number; issued_at: string; expiration_time: string; expires_in: number };
const wallet = () => privateKeyToAccount(generatePrivateKey());
const requestNonce = async (account: PrivateKeyAccount | string, extra: Record<string, unknown> = {}) =>
  (await api.post<Nonce>('/auth/metamask/nonce', { address: typeof account === 'string' ? account : account.address, ...extra })).body;

/** An EIP-4361 message as a wallet page builds it, with our domain unless told otherwise. */
const messageFor = (account: PrivateKeyAccount, nonce: string, overrides: Partial<Parameters<typeof createSiweMessage>[0]> = {}) =>
  createSiweMessage({
    address: account.address,
    chainId: 1,
    domain: 'app.example.com',
    uri: 'https://app.example.com/login',
    nonce,
    version: '1',
    statement: 'Sign in to Malet.',
    issuedAt: clock.now(),
    ...overrides,
  });

async function verify(account: PrivateKeyAccount, message: string, nonce: string, options: { signer?: PrivateKeyAccount; path?: string; headers?: Record<string, string> } = {}) {
  const signature = await (options.signer ?? account).signMessage({ message });
  return api.post<{ session_token: string; user: { id: string; email: string }; code?: string }>(
    options.path ?? '/auth/metamask/verify',
    { address: account.address, signature, message, nonce },
    options.headers,
  );
}

describe('Sign-In with Ethereum (EIP-4361) with real signatures from a local key', () => {
  it('issues a single-use nonce with a ready message; its signature signs in, and the first sign-in creates the account', async () => {
    const account = wallet();
    const issued = await requestNonce(account);
    expect(issued).toMatchObject({ domain: 'app.example.com', uri: 'https://app.example.com', chain_id: 1, expires_in: 300 });
    expect(issued.nonce).toMatch(/^[A-Za-z0-9]{8,}$/);
    const fields = parseSiweMessage(issued.message);
    expect(fields).toMatchObject({ address: account.address, nonce: issued.nonce, chainId: 1, domain: 'app.example.com', version: '1' });

    const signedIn = await verify(account, issued.message, issued.nonce);
    expect(signedIn.status).toBe(200);
    expect(signedIn.body).toMatchObject({ session_token: expect.stringMatching(/^sess_/), user: { email: expect.stringMatching(/@no-email\.invalid$/) } });
    expect(signedIn.headers.get('set-cookie')).toMatch(/session_token=sess_/);
    const me = await api.get('/me', bearer(signedIn.body.session_token));
    expect(me.body).toMatchObject({ id: signedIn.body.user.id, email_verified: false });

    const next = await requestNonce(account);
    const again = await verify(account, messageFor(account, next.nonce), next.nonce);
    expect(again.body.user.id).toBe(signedIn.body.user.id);
  });

  it('a replayed message and signature is refused: the nonce works once, even for parallel replays', async () => {
    const account = wallet();
    const { nonce } = await requestNonce(account);
    const message = messageFor(account, nonce);
    const signature = await account.signMessage({ message });
    const body = { address: account.address, signature, message, nonce };
    const answers = await Promise.all([1, 2, 3].map(() => api.post('/auth/metamask/verify', body)));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 401, 401]);
    expect(answers.find((answer) => answer.status === 401)!.body).toMatchObject({ status: 401, code: 'siwe:invalid_nonce' });
    expect(await api.post('/auth/metamask/verify', body)).toMatchObject({ status: 401, body: { code: 'siwe:invalid_nonce' } });
  });

  it("a message prepared for another site (domain or URI) is refused, and leaves the nonce unspent", async () => {
    const account = wallet();
    const { nonce } = await requestNonce(account);
    expect(await verify(account, messageFor(account, nonce, { domain: 'evil.example', uri: 'https://evil.example/login' }), nonce)).toMatchObject({
      status: 401,
      body: { code: 'siwe:domain_not_allowed' },
    });
    expect(await verify(account, messageFor(account, nonce, { uri: 'https://evil.example/login' }), nonce)).toMatchObject({ status: 401, body: { code: 'siwe:domain_not_allowed' } });
    expect((await verify(account, messageFor(account, nonce), nonce)).status).toBe(200);
  });

  it('a message for a chain not accepted is refused; an accepted one (10) signs in', async () => {
    const account = wallet();
    const { nonce } = await requestNonce(account);
    expect(await verify(account, messageFor(account, nonce, { chainId: 5 }), nonce)).toMatchObject({ status: 401, body: { code: 'siwe:chain_not_allowed' } });
    expect((await verify(account, messageFor(account, nonce, { chainId: 10 }), nonce)).status).toBe(200);
    expect(await api.post('/auth/metamask/nonce', { address: account.address, chain_id: 5 })).toMatchObject({ status: 401, body: { code: 'siwe:chain_not_allowed' } });
  });

  it("the message's own validity: expiration-time 1 ms ahead passes, at now it is expired; issued-at in the future and not-before are respected", async () => {
    const account = wallet();
    const at = (ms: number) => new Date(clock.now().getTime() + ms);
    const expired = await requestNonce(account);
    expect(await verify(account, messageFor(account, expired.nonce, { expirationTime: at(0) }), expired.nonce)).toMatchObject({ status: 401, body: { code: 'siwe:message_expired' } });
    expect(await verify(account, messageFor(account, expired.nonce, { issuedAt: at(120_000) }), expired.nonce)).toMatchObject({ status: 401, body: { code: 'siwe:message_expired' } });
    expect(await verify(account, messageFor(account, expired.nonce, { notBefore: at(1) }), expired.nonce)).toMatchObject({ status: 401, body: { code: 'siwe:message_expired' } });
    expect((await verify(account, messageFor(account, expired.nonce, { expirationTime: at(1) }), expired.nonce)).status).toBe(200);
  });

  it('a signature by another key, or not a signature at all, is refused', async () => {
    const account = wallet();
    const { nonce } = await requestNonce(account);
    expect(await verify(account, messageFor(account, nonce), nonce, { signer: wallet() })).toMatchObject({ status: 401, body: { code: 'siwe:invalid_signature' } });
    const message = messageFor(account, nonce);
    for (const signature of ['0x', '0x1234', `0x${'00'.repeat(65)}`, 'not-hex']) {
      expect(await api.post('/auth/metamask/verify', { address: account.address, signature, message, nonce }), signature).toMatchObject({
        status: 401,
        body: { code: 'siwe:invalid_signature' },
      });
    }
  });

  it('a nonce issued for another address does not work for this one; the body must name the message\'s address and nonce', async () => {
    const account = wallet();
    const other = wallet();
    const { nonce } = await requestNonce(other);
    expect(await verify(account, messageFor(account, nonce), nonce)).toMatchObject({ status: 401, body: { code: 'siwe:invalid_nonce' } });

    const own = await requestNonce(account);
    const message = messageFor(account, own.nonce);
    const signature = await account.signMessage({ message });
    expect(await api.post('/auth/metamask/verify', { address: other.address, signature, message, nonce: own.nonce })).toMatchObject({
      status: 400,
      body: { code: 'siwe:message_mismatch', fields: ['address'] },
    });
    expect(await api.post('/auth/metamask/verify', { address: account.address, signature, message, nonce: nonce })).toMatchObject({
      status: 400,
      body: { code: 'siwe:message_mismatch', fields: ['nonce'] },
    });
  });

  it('bad input is a 400 with a code: malformed addresses (seed 001\'s truncated example), non-EIP-4361 messages, missing fields', async () => {
    for (const address of ['0x742d35Cc6634C0532925a3b844Bc9e7595f0bEb', '0x742d35cc6634c0532925a3b844bc454e4438f44', '0x742d35CC6634c0532925a3b844Bc454e4438f44e', 'vitalik.eth', '']) {
      const answer = await api.post('/auth/metamask/nonce', { address });
      expect(answer.status, address).toBe(400);
      expect(['siwe:invalid_address', 'request:invalid']).toContain(answer.body.code);
    }
    const account = wallet();
    const { nonce } = await requestNonce(account);
    const signature = await account.signMessage({ message: 'Sign in please' });
    expect(await api.post('/auth/metamask/verify', { address: account.address, signature, message: 'Sign in please', nonce })).toMatchObject({
      status: 400,
      body: { code: 'siwe:invalid_message' },
    });
    expect(await api.post('/auth/metamask/verify', { address: account.address, nonce })).toMatchObject({ status: 400, body: { code: 'request:invalid' } });
  });
});

describe('a wallet address as a linked identity', () => {
  it('links to the signed-in account; signing in with it then reaches that account; another account cannot take it', async () => {
    const { user, headers } = await signedInUser(auth, 'wallet.owner@example.com');
    const account = wallet();
    const first = await requestNonce(account);
    const linked = await verify(account, messageFor(account, first.nonce), first.nonce, { path: '/auth/metamask/link', headers });
    expect(linked).toMatchObject({ status: 200, body: { linked: true, provider: 'ethereum', address: account.address.toLowerCase() } });
    const connections = (await api.get<{ connections: { provider: string; subject: string }[] }>('/auth/oauth/connections', headers)).body.connections;
    expect(connections).toEqual([expect.objectContaining({ provider: 'ethereum', subject: account.address.toLowerCase() })]);

    const next = await requestNonce(account);
    const signedIn = await verify(account, messageFor(account, next.nonce), next.nonce);
    expect(signedIn.body.user.id).toBe(user.id);

    const intruder = await signedInUser(auth, 'wallet.intruder@example.com');
    const third = await requestNonce(account);
    expect(await verify(account, messageFor(account, third.nonce), third.nonce, { path: '/auth/metamask/link', headers: intruder.headers })).toMatchObject({
      status: 409,
      body: { code: 'identity:linked_elsewhere' },
    });
    // The owner keeps a verified email, so the address may be unlinked.
    expect((await api.post('/auth/oauth/connections/unlink', { provider: 'ethereum' }, headers)).status).toBe(200);
  });

  it('a nonce lives 5 minutes: used 1 ms before it expires it works, 1 ms after it is refused', async () => {
    const account = wallet();
    const inTime = await requestNonce(account);
    const late = await requestNonce(account);
    clock.advance(300_000 - 1);
    expect((await verify(account, messageFor(account, inTime.nonce), inTime.nonce)).status).toBe(200);
    clock.advance(2);
    expect(await verify(account, messageFor(account, late.nonce), late.nonce)).toMatchObject({ status: 401, body: { code: 'siwe:invalid_nonce' } });
  });
});
