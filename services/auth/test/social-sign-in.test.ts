import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { StandInProvider } from '@malet/testing';
import { authorizeAtProvider, CookieJar, createTestClock, returnToAuth, signInWithProvider, startAuthForFile, webClientId, startProviderStandInForFile } from './support';

const providers = startProviderStandInForFile();

const clock = createTestClock();
const { auth, api } = startAuthForFile(() => ({
  clock,
  seed: ['user@example.com'],
  env: { ...providers().authEnv(), RETURN_TO_ALLOWLIST: 'http://localhost:3000,https://app.example.com' },
}));

const sessionFrom = (jar: CookieJar) => jar.get('session_token');
const me = (token: string | undefined) => api.get('/me', { cookie: `session_token=${token}` });
const errorOf = async (response: Response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> });
/** user.created events auth wrote for one user (the profile's username and display name travel in them). */
const createdEvents = async (userId: string) =>
  (await auth.rows(sql`select payload from outbox where topic = 'user.created' and payload->>'user_id' = ${userId}`)).map((row) => row.payload as Record<string, unknown>);

const PROVIDERS: { provider: StandInProvider; pkce: boolean; nonce: boolean }[] = [
  { provider: 'google', pkce: true, nonce: true },
  { provider: 'apple', pkce: false, nonce: true },
  { provider: 'twitter', pkce: true, nonce: false },
  { provider: 'facebook', pkce: true, nonce: false },
  { provider: 'github', pkce: true, nonce: false },
];

describe('browser sign-in with each provider against an independent OAuth/OIDC server', () => {
  it.each(PROVIDERS)('$provider: redirects with state, PKCE and nonce where supported, and the callback signs the new user in', async ({ provider, pkce, nonce }) => {
    const email = `${provider}.newcomer@example.com`;
    const step = await authorizeAtProvider(auth.url, provider, { loginHint: email });
    const query = step.authorizeUrl.searchParams;
    expect(step.authorizeUrl.origin + step.authorizeUrl.pathname).toBe(providers().endpointsOf(provider).authorization);
    expect(query.get('client_id')).toBe(webClientId(provider));
    expect(query.get('redirect_uri')).toBe(`${auth.config.publicUrl}/auth/oauth/${provider}/callback`);
    expect(query.get('login_hint')).toBe(email);
    expect(query.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(query.get('code_challenge_method')).toBe(pkce ? 'S256' : null);
    expect(query.get('code_challenge') !== null).toBe(pkce);
    expect(query.get('nonce') !== null).toBe(nonce);
    expect(query.get('response_mode')).toBe(provider === 'apple' ? 'form_post' : null);
    // The state is bound to this browser: an HttpOnly cookie sent only to the callback.
    const flowCookie = step.start.headers.getSetCookie().find((line) => line.startsWith('malet_oauth_flow='))!;
    expect(flowCookie).toMatch(new RegExp(`Path=/auth/oauth/${provider}/callback`));
    expect(flowCookie).toMatch(/HttpOnly/);
    // Only hashes of the state and the binding are stored; the PKCE verifier is not stored at all.
    const [flow] = await auth.rows(sql`select * from oauth_flows where provider = ${provider} order by created_at desc limit 1`);
    expect(flow!.state_hash).toBe(createHash('sha256').update(query.get('state')!).digest('hex'));
    expect(JSON.stringify(flow)).not.toContain(query.get('state')!);

    const response = await returnToAuth(auth.url, step, { formPost: provider === 'apple' });
    const page = await response.text();
    expect(response.status, page).toBe(200);
    expect(page).toContain('You are signed in');
    const session = sessionFrom(step.jar);
    expect(session).toMatch(/^sess_/);
    // The flow cookie is spent.
    expect(step.jar.get('malet_oauth_flow')).toBeUndefined();
    const answer = await me(session);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ email, email_verified: provider !== 'facebook' });
  });

  it('lands on an allow-listed return_to (303), and refuses one off the list before leaving for the provider', async () => {
    const { response, jar } = await signInWithProvider(auth.url, 'google', { loginHint: 'returner@example.com', returnTo: 'https://app.example.com/welcome' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('https://app.example.com/welcome');
    expect(jar.get('session_token')).toMatch(/^sess_/);

    for (const returnTo of ['https://evil.example.com/', '//evil.example.com', 'javascript:alert(1)', 'https://app.example.com@evil.example.com/']) {
      const refused = await api.get(`/auth/oauth/google?return_to=${encodeURIComponent(returnTo)}`, undefined, { redirect: 'manual' });
      expect(refused.status, returnTo).toBe(400);
      expect(refused.body).toMatchObject({ status: 400, code: 'auth:return_to_not_allowed' });
    }
  });
});

describe('tampering with the flow is refused', () => {
  it('state: a callback whose state this browser did not start, without the flow cookie, from another browser, or replayed', async () => {
    const victim = await authorizeAtProvider(auth.url, 'google', { loginHint: 'state.victim@example.com' });
    const attacker = await authorizeAtProvider(auth.url, 'google', { loginHint: 'state.attacker@example.com' });

    // The attacker's callback URL (its code and state) opened in the victim's browser: login CSRF.
    const forced = await returnToAuth(auth.url, { callbackUrl: attacker.callbackUrl, jar: victim.jar });
    expect(await errorOf(forced)).toMatchObject({ status: 400, body: { status: 400, code: 'oauth:invalid_state' } });
    expect(victim.jar.get('session_token')).toBeUndefined();

    const noCookie = await returnToAuth(auth.url, { callbackUrl: victim.callbackUrl, jar: new CookieJar() });
    expect(await errorOf(noCookie)).toMatchObject({ status: 400, body: { code: 'oauth:invalid_state' } });
    const madeUp = await returnToAuth(auth.url, victim, { override: { state: 'x'.repeat(43) } });
    expect(await errorOf(madeUp)).toMatchObject({ status: 400, body: { code: 'oauth:invalid_state' } });

    // None of that spent the victim's own flow, which completes once, and only once.
    const completed = await returnToAuth(auth.url, victim);
    expect(completed.status).toBe(200);
    expect((await me(victim.jar.get('session_token'))).body).toMatchObject({ email: 'state.victim@example.com' });
    const replayed = await returnToAuth(auth.url, { callbackUrl: victim.callbackUrl, jar: attacker.jar.get('malet_oauth_flow') ? attacker.jar : victim.jar });
    expect(replayed.status).toBe(400);
  });

  it('PKCE: a code issued for another flow (code injection) is refused by the provider, so nothing signs in', async () => {
    const stolen = await authorizeAtProvider(auth.url, 'github', { loginHint: 'pkce.attacker@example.com' });
    const victim = await authorizeAtProvider(auth.url, 'github', { loginHint: 'pkce.victim@example.com' });
    const injected = await returnToAuth(auth.url, victim, { override: { code: stolen.callbackUrl.searchParams.get('code')! } });
    expect(await errorOf(injected)).toMatchObject({ status: 400, body: { code: 'oauth:code_rejected' } });
    expect(victim.jar.get('session_token')).toBeUndefined();
  });

  it.each(['google', 'apple'] as const)('nonce: %s ID token carrying another nonce than the one sent is refused', async (provider) => {
    const service = providers().service(provider);
    const tamper = (token: { payload: Record<string, unknown> }) => {
      if ('nonce' in token.payload) token.payload.nonce = 'nonce-of-another-flow';
    };
    service.on('beforeTokenSigning', tamper);
    try {
      const step = await authorizeAtProvider(auth.url, provider, { loginHint: `nonce.${provider}@example.com` });
      const response = await returnToAuth(auth.url, step, { formPost: provider === 'apple' });
      expect(await errorOf(response)).toMatchObject({ status: 400, body: { code: 'oauth:id_token_rejected' } });
      expect(step.jar.get('session_token')).toBeUndefined();
    } finally {
      service.off('beforeTokenSigning', tamper);
    }
  });
});

describe("each provider's particulars", () => {
  it("Apple: the name in the first sign-in's form post becomes the profile's display name; later sign-ins (no name) reach the same account", async () => {
    const email = 'ada.apple@example.com';
    const first = await signInWithProvider(auth.url, 'apple', { loginHint: email, appleUser: { name: { firstName: 'Ada', lastName: 'Lovelace' }, email } });
    expect(first.response.status).toBe(200);
    const { body: user } = await me(first.session);
    expect(await createdEvents(String(user.id))).toEqual([expect.objectContaining({ email, display_name: 'Ada Lovelace' })]);

    const again = await signInWithProvider(auth.url, 'apple', { loginHint: email });
    expect((await me(again.session)).body).toMatchObject({ id: user.id });
    expect(await createdEvents(String(user.id))).toHaveLength(1);
  });

  it("Apple's cross-site form post is let through the Origin check (a session cookie from the same browser does not make it CSRF-refused); other providers' callbacks take no form post", async () => {
    const step = await authorizeAtProvider(auth.url, 'apple', { loginHint: 'crosssite.apple@example.com' });
    const existing = (await api.post<{ session_token: string }>('/auth/dev/token', { email: 'user@example.com' })).body.session_token;
    step.jar.set('session_token', existing);
    const response = await returnToAuth(auth.url, step, { formPost: true });
    expect(response.status).toBe(200);
    expect((await me(step.jar.get('session_token'))).body).toMatchObject({ email: 'crosssite.apple@example.com' });

    // The same cross-site post to a route without the declared exemption is refused by the CSRF check.
    const csrf = await api.post('/auth/logout', undefined, { cookie: `session_token=${existing}`, origin: 'https://appleid.apple.com' });
    expect(csrf).toMatchObject({ status: 403, body: { code: 'csrf:origin_not_trusted' } });

    const google = await authorizeAtProvider(auth.url, 'google', { loginHint: 'formpost.google@example.com' });
    const posted = await returnToAuth(auth.url, google, { formPost: true });
    expect(await errorOf(posted)).toMatchObject({ status: 400, body: { code: 'oauth:unexpected_form_post' } });
  });

  it("GitHub: the profile's username is the GitHub login (where free), and only an address GitHub verified counts as verified", async () => {
    providers().addUser('github', { email: 'octo.cat@example.com', username: 'octocat', name: 'The Octocat' });
    const { session } = await signInWithProvider(auth.url, 'github', { loginHint: 'octocat' });
    const { body: user } = await me(session);
    expect(user).toMatchObject({ email: 'octo.cat@example.com', email_verified: true });
    expect(await createdEvents(String(user.id))).toEqual([expect.objectContaining({ preferred_username: 'octocat', display_name: 'The Octocat' })]);

    providers().addUser('github', { email: 'unverified.octo@example.com', username: 'unverified-octo', emailVerified: false });
    const unverified = await signInWithProvider(auth.url, 'github', { loginHint: 'unverified-octo' });
    expect((await me(unverified.session)).body).toMatchObject({ email: 'unverified.octo@example.com', email_verified: false });
  });

  it('X: a user without a confirmed email gets an account with an undeliverable placeholder address and the X username, and signs in to it again', async () => {
    providers().addUser('twitter', { username: 'no_email_on_x', name: 'Nobody' });
    const first = await signInWithProvider(auth.url, 'twitter', { loginHint: 'no_email_on_x' });
    const { body: user } = await me(first.session);
    expect(user).toMatchObject({ email_verified: false });
    expect(String(user.email)).toMatch(/^twitter\.[0-9a-f]{24}@no-email\.invalid$/);
    expect(await createdEvents(String(user.id))).toEqual([expect.objectContaining({ preferred_username: 'no_email_on_x' })]);
    const again = await signInWithProvider(auth.url, 'twitter', { loginHint: 'no_email_on_x' });
    expect((await me(again.session)).body).toMatchObject({ id: user.id });
  });

  it('a started sign-in lives 10 minutes: the callback works 1 ms before, and is refused 1 ms after', async () => {
    const inTime = await authorizeAtProvider(auth.url, 'facebook', { loginHint: 'in.time@example.com' });
    const late = await authorizeAtProvider(auth.url, 'facebook', { loginHint: 'too.late@example.com' });
    clock.advance(600_000 - 1);
    expect((await returnToAuth(auth.url, inTime)).status).toBe(200);
    clock.advance(2);
    expect(await errorOf(await returnToAuth(auth.url, late))).toMatchObject({ status: 400, body: { code: 'oauth:invalid_state' } });
  });

  it('a provider that declines (error=access_denied) ends the flow with 400 oauth:provider_denied; unknown providers are 404', async () => {
    const step = await authorizeAtProvider(auth.url, 'google', { loginHint: 'declines@example.com' });
    const state = step.callbackUrl.searchParams.get('state')!;
    const declined = await returnToAuth(auth.url, { callbackUrl: new URL(`${step.callbackUrl.origin}${step.callbackUrl.pathname}?error=access_denied&state=${state}`), jar: step.jar });
    expect(await errorOf(declined)).toMatchObject({ status: 400, body: { code: 'oauth:provider_denied' } });

    for (const path of ['/auth/oauth/myspace', '/auth/oauth/myspace/callback?code=x&state=y']) {
      expect(await api.get(path, undefined, { redirect: 'manual' })).toMatchObject({ status: 404, body: { status: 404, code: 'oauth:unknown_provider' } });
    }
  });
});
