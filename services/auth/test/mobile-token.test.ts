import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { OAuthProviderStandIn, StandInProvider, StandInUser } from '@malet/testing';
import { appClientId, bearer, createTestClock, enrollTotp, signedInUser, startAuthForFile, startProviderStandInForFile } from './support';

const providers = startProviderStandInForFile();

const clock = createTestClock();
const { auth, api } = startAuthForFile(() => ({ clock, env: providers().authEnv() }));

type MobileSession = { session_token: string; refresh_token: string; expires_in: number; refresh_expires_in: number; user: { id: string; email: string } };
const exchange = (body: unknown) => api.post<MobileSession & { code?: string }>('/auth/mobile/token', body);
const refresh = (refreshToken: string) => api.post<MobileSession & { code?: string }>('/auth/mobile/refresh', { refresh_token: refreshToken });

let counter = 0;
/** A user the stand-in provider knows, with a fresh address. */
const providerUser = (provider: StandInProvider, overrides: { email?: string } = {}) =>
  providers().addUser(provider, { email: `mobile.${provider}.${(counter += 1)}@example.com`, username: `mobile_${provider}_${counter}`, ...overrides });
/** Tokens the provider issued to our native app for `user`. */
const tokensFor = (provider: StandInProvider, user: StandInUser, extra: Parameters<OAuthProviderStandIn['issueTokens']>[1] extends infer T ? Partial<T> : never = {}) =>
  providers().issueTokens(provider, { user, clientId: appClientId(provider), issuedAt: clock.now(), ...extra });

/** Seed 000's exact answer, and what stands behind it. */
async function expectMobileSession(answer: { status: number; body: unknown; headers: Headers }, email: string) {
  expect(answer.status).toBe(200);
  const body = answer.body as MobileSession;
  expect(Object.keys(body).sort()).toEqual(['expires_in', 'refresh_expires_in', 'refresh_token', 'session_token', 'user']);
  expect(body).toEqual({
    session_token: expect.stringMatching(/^sess_[A-Za-z0-9_-]{43}$/),
    refresh_token: expect.stringMatching(/^ref_[A-Za-z0-9_-]{43}$/),
    expires_in: 900,
    refresh_expires_in: 2592000,
    user: { id: expect.any(String), email },
  });
  // Apps hold their tokens: no cookie.
  expect(answer.headers.get('set-cookie')).toBeNull();
  const [row] = await auth.rows(sql`select kind, expires_at from sessions where token_hash = ${createHash('sha256').update(body.session_token).digest('hex')}`);
  expect(row!.kind).toBe('mobile');
  expect(new Date(String(row!.expires_at)).getTime()).toBe(clock.now().getTime() + 900_000);
  expect((await api.get('/me', bearer(body.session_token))).body).toMatchObject({ id: body.user.id, email });
  return body;
}

describe('POST /auth/mobile/token with a provider access token (checked at the provider)', () => {
  it.each(['google', 'facebook', 'github', 'twitter'] as const)('%s: a good token gives a mobile session in seed 000\'s exact shape', async (provider) => {
    const user = providerUser(provider);
    const { accessToken } = await tokensFor(provider, user);
    await expectMobileSession(await exchange({ provider, access_token: accessToken }), user.email!);
  });

  it('google: a token issued to another app is refused (its token-info audience is not one of ours), though the provider honours it', async () => {
    const user = providerUser('google');
    const { accessToken } = await tokensFor('google', user, { clientId: 'someone-elses-app' });
    expect((await fetch(providers().endpointsOf('google').userinfo, { headers: bearer(accessToken) })).status).toBe(200);
    expect(await exchange({ provider: 'google', access_token: accessToken })).toMatchObject({ status: 401, body: { status: 401, code: 'mobile:invalid_provider_token' } });
  });

  it.each(['google', 'github'] as const)('%s: a token revoked at the provider (RFC 7009) is refused', async (provider) => {
    const user = providerUser(provider);
    const { accessToken } = await tokensFor(provider, user);
    expect((await exchange({ provider, access_token: accessToken })).status).toBe(200);
    const revoked = await fetch(providers().endpointsOf(provider).revocation, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: accessToken }).toString(),
    });
    expect(revoked.status).toBe(200);
    expect(await exchange({ provider, access_token: accessToken })).toMatchObject({ status: 401, body: { code: 'mobile:invalid_provider_token' } });
  });

  it.each(['facebook', 'twitter'] as const)('%s: an expired token, or one the provider never issued, is refused', async (provider) => {
    const user = providerUser(provider);
    const expired = await tokensFor(provider, user, { expiresIn: -60 });
    expect(await exchange({ provider, access_token: expired.accessToken })).toMatchObject({ status: 401, body: { code: 'mobile:invalid_provider_token' } });
    const forged = await tokensFor(provider, user, { signedBy: 'foreign' });
    expect(await exchange({ provider, access_token: forged.accessToken })).toMatchObject({ status: 401, body: { code: 'mobile:invalid_provider_token' } });
  });
});

describe('POST /auth/mobile/token with an ID token (verified against the provider keys)', () => {
  it('google: a good ID token with its nonce gives a mobile session', async () => {
    const user = providerUser('google');
    const { idToken } = await tokensFor('google', user, { nonce: 'google-nonce-1' });
    await expectMobileSession(await exchange({ provider: 'google', id_token: idToken, nonce: 'google-nonce-1' }), user.email!);
  });

  it("apple: the token carries the SHA-256 of the app's nonce, as Apple's SDKs are handed it", async () => {
    const user = providerUser('apple');
    const raw = 'apple-raw-nonce-1';
    const { idToken } = await tokensFor('apple', user, { nonce: createHash('sha256').update(raw).digest('hex') });
    await expectMobileSession(await exchange({ provider: 'apple', id_token: idToken, nonce: raw }), user.email!);
    // A nonce that is neither the token's nor its preimage is refused.
    const other = await tokensFor('apple', user, { nonce: createHash('sha256').update('apple-raw-nonce-2').digest('hex') });
    expect(await exchange({ provider: 'apple', id_token: other.idToken, nonce: 'apple-raw-nonce-3' })).toMatchObject({ status: 401, body: { code: 'mobile:nonce_mismatch' } });
  });

  it.each(['google', 'apple'] as const)('%s: wrong audience, wrong issuer, wrong signature are each refused with 401', async (provider) => {
    const user = providerUser(provider);
    const nonce = `${provider}-checks`;
    const wrongAudience = await tokensFor(provider, user, { clientId: 'someone-elses-app', nonce });
    const wrongIssuer = await tokensFor(provider, user, { nonce, claims: { iss: 'https://accounts.evil.example' } });
    const wrongSignature = await tokensFor(provider, user, { nonce, signedBy: 'foreign' });
    for (const { idToken } of [wrongAudience, wrongIssuer, wrongSignature]) {
      expect(await exchange({ provider, id_token: idToken, nonce })).toMatchObject({ status: 401, body: { status: 401, code: 'mobile:invalid_provider_token' } });
    }
    // None of them spent the nonce: the genuine token with it still signs in.
    const genuine = await tokensFor(provider, user, { nonce: provider === 'apple' ? createHash('sha256').update(nonce).digest('hex') : nonce });
    expect((await exchange({ provider, id_token: genuine.idToken, nonce })).status).toBe(200);
  });

  it('nonce: missing from the request (400), missing from the token or different (401), and a replayed token+nonce (401)', async () => {
    const user = providerUser('google');
    const { idToken } = await tokensFor('google', user, { nonce: 'replay-me' });
    expect(await exchange({ provider: 'google', id_token: idToken })).toMatchObject({ status: 400, body: { code: 'request:invalid' } });
    expect(await exchange({ provider: 'google', id_token: idToken, nonce: 'not-the-one' })).toMatchObject({ status: 401, body: { code: 'mobile:nonce_mismatch' } });
    const withoutNonce = await tokensFor('google', user);
    expect(await exchange({ provider: 'google', id_token: withoutNonce.idToken, nonce: 'anything' })).toMatchObject({ status: 401, body: { code: 'mobile:nonce_mismatch' } });
    expect((await exchange({ provider: 'google', id_token: idToken, nonce: 'replay-me' })).status).toBe(200);
    expect(await exchange({ provider: 'google', id_token: idToken, nonce: 'replay-me' })).toMatchObject({ status: 401, body: { code: 'mobile:nonce_mismatch' } });
  });
});

describe('what the exchange refuses before any provider is asked', () => {
  it('credentials a provider does not give apps (400), unknown providers (404), malformed bodies (400)', async () => {
    expect(await exchange({ provider: 'apple', access_token: 'whatever' })).toMatchObject({ status: 400, body: { code: 'mobile:unsupported_credential' } });
    expect(await exchange({ provider: 'github', id_token: 'x.y.z', nonce: 'n' })).toMatchObject({ status: 400, body: { code: 'mobile:unsupported_credential' } });
    expect(await exchange({ provider: 'myspace', access_token: 'whatever' })).toMatchObject({ status: 404, body: { code: 'oauth:unknown_provider' } });
    for (const body of [{}, { provider: 'google' }, { provider: 'google', access_token: '' }, { provider: 'google', access_token: 'a', id_token: 'b', nonce: 'c' }, { provider: 'google', access_token: 'a', extra: 1 }, { provider: 7, access_token: 'a' }]) {
      const answer = await exchange(body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.code).toBe('request:invalid');
    }
    expect(await api.post('/auth/mobile/token', '{"provider": "google", ')).toMatchObject({ status: 400, body: { code: 'request:invalid_json' } });
  });

  it('an identity whose email matches an account it cannot prove it owns (Facebook does not verify emails): 409, no session', async () => {
    await signedInUser(auth, 'mobile.fb.owner@example.com');
    const user = providerUser('facebook', { email: 'mobile.fb.owner@example.com' });
    const { accessToken } = await tokensFor('facebook', user);
    expect(await exchange({ provider: 'facebook', access_token: accessToken })).toMatchObject({ status: 409, body: { code: 'identity:link_required' } });
  });

  it('an account with a second factor gets the MFA challenge instead of tokens', async () => {
    const user = providerUser('google');
    const { accessToken } = await tokensFor('google', user);
    const first = (await exchange({ provider: 'google', access_token: accessToken })).body;
    await enrollTotp(api, bearer(first.session_token), clock);
    const again = await exchange({ provider: 'google', access_token: accessToken });
    expect(again.body).toEqual({ mfa_required: true, mfa_token: expect.stringMatching(/^mfa_/), mfa_methods: expect.arrayContaining(['totp']) });
  });
});

describe('POST /auth/mobile/refresh and /auth/mobile/logout', () => {
  async function signedInOnMobile() {
    const user = providerUser('github');
    const { accessToken } = await tokensFor('github', user);
    return (await exchange({ provider: 'github', access_token: accessToken })).body;
  }

  it('rotates the refresh token for a new mobile session; the old session and refresh token stop working', async () => {
    const first = await signedInOnMobile();
    const next = await refresh(first.refresh_token);
    const body = await expectMobileSession(next, first.user.email);
    expect(body.user.id).toBe(first.user.id);
    expect(body.refresh_token).not.toBe(first.refresh_token);
    expect((await api.get('/me', bearer(first.session_token))).status).toBe(401);
  });

  it('a rotated refresh token presented again past the grace window revokes the whole family and records a theft event', async () => {
    const first = await signedInOnMobile();
    const second = (await refresh(first.refresh_token)).body;
    // Within REFRESH_TOKEN_REUSE_GRACE_SECONDS (10) the rotating client may repeat itself (refresh-revoke.test.ts).
    clock.advance(11_000);
    expect(await refresh(first.refresh_token)).toMatchObject({ status: 401, body: { code: 'auth:invalid_refresh_token' } });
    expect(await refresh(second.refresh_token)).toMatchObject({ status: 401, body: { code: 'auth:invalid_refresh_token' } });
    expect((await api.get('/me', bearer(second.session_token))).status).toBe(401);
    const theft = await auth.rows(sql`select outcome from audit_events where type = 'refresh_token.reuse' and user_id = ${first.user.id}`);
    expect(theft).toEqual([{ outcome: 'failure' }]);
  });

  it('logout with the Bearer token ends the session and its refresh token; without one it is 401', async () => {
    const session = await signedInOnMobile();
    expect(await api.post('/auth/mobile/logout', undefined, bearer(session.session_token))).toMatchObject({ status: 200, body: { success: true } });
    expect((await api.get('/me', bearer(session.session_token))).status).toBe(401);
    expect((await refresh(session.refresh_token)).status).toBe(401);
    expect(await api.post('/auth/mobile/logout', undefined, bearer(session.session_token))).toMatchObject({ status: 401, body: { code: 'auth:invalid_session' } });
    expect(await api.post('/auth/mobile/logout')).toMatchObject({ status: 401, body: { code: 'auth:invalid_session' } });
    // The cookie is the browsers' credential; this endpoint takes the Bearer header only.
    const other = await signedInOnMobile();
    expect((await api.post('/auth/mobile/logout', undefined, { cookie: `session_token=${other.session_token}` })).status).toBe(401);
  });
});

describe('lifetimes, on the service clock', () => {
  it('an ID token is accepted 1 ms before its expiry and refused at it', async () => {
    const user = providerUser('google');
    const exp = Math.floor(clock.now().getTime() / 1000) + 120;
    const before = await tokensFor('google', user, { nonce: 'exp-before', claims: { exp } });
    const after = await tokensFor('google', user, { nonce: 'exp-after', claims: { exp } });
    clock.advance(exp * 1000 - 1 - clock.now().getTime());
    expect((await exchange({ provider: 'google', id_token: before.idToken, nonce: 'exp-before' })).status).toBe(200);
    clock.advance(1);
    expect(await exchange({ provider: 'google', id_token: after.idToken, nonce: 'exp-after' })).toMatchObject({ status: 401, body: { code: 'mobile:invalid_provider_token' } });
  });

  it('a mobile session lives 900 s (alive 1 ms before, dead 1 ms after); its refresh token 30 days', async () => {
    const session = await signedInOnMobile();
    clock.advance(900_000 - 1);
    expect((await api.get('/me', bearer(session.session_token))).status).toBe(200);
    clock.advance(2);
    expect((await api.get('/me', bearer(session.session_token))).status).toBe(401);
    // The refresh token outlives it and renews the session, to 30 days.
    clock.advance(30 * 86_400_000 - 900_000 - 3);
    const renewed = await refresh(session.refresh_token);
    expect(renewed.status).toBe(200);
    clock.advance(30 * 86_400_000 + 1);
    expect((await refresh(renewed.body.refresh_token)).status).toBe(401);
  });

  async function signedInOnMobile() {
    const user = providerUser('github');
    const { accessToken } = await tokensFor('github', user);
    return (await exchange({ provider: 'github', access_token: accessToken })).body;
  }
});
