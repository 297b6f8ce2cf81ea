import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { authorizeAtProvider, bearer, CookieJar, createTestClock, requestCode, returnToAuth, signedInUser, signInWithProvider, startAuthForFile, startProviderStandInForFile } from './support';

const providers = startProviderStandInForFile();

const clock = createTestClock();
const { auth, api } = startAuthForFile(() => ({ clock, env: providers().authEnv() }));

const LINK_CONFIRM = '/auth/oauth/link/confirm';
const errorOf = async (response: Response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> });
const connections = async (headers: Record<string, string>) =>
  (await api.get<{ connections: { provider: string; subject: string; email: string | null }[] }>('/auth/oauth/connections', headers)).body.connections;
const confirmLink = (jar: CookieJar, headers: Record<string, string>) => api.post(LINK_CONFIRM, undefined, { ...headers, cookie: jar.headerFor(LINK_CONFIRM) });
const unlink = (provider: string, headers: Record<string, string>) => api.post('/auth/oauth/connections/unlink', { provider }, headers);

/** A provider sign-in whose email matches an account that must be proven first: the 409 and the browser's pending link. */
async function pendingLink(provider: 'facebook' | 'google', loginHint: string) {
  const attempt = await signInWithProvider(auth.url, provider, { loginHint });
  expect(await errorOf(attempt.response)).toMatchObject({ status: 409, body: { status: 409, code: 'identity:link_required' } });
  expect(attempt.session).toBeUndefined();
  const cookie = attempt.response.headers.getSetCookie().find((line) => line.startsWith('malet_oauth_link='));
  expect(cookie).toMatch(/Path=\/auth\/oauth\/link\/confirm/);
  expect(cookie).toMatch(/HttpOnly/);
  return attempt.jar;
}

describe('linking rules: when a provider identity joins an existing account', () => {
  it('links automatically when the provider asserts the email verified and the account verified it too', async () => {
    const { user, headers } = await signedInUser(auth, 'both.verified@example.com');
    const { session } = await signInWithProvider(auth.url, 'google', { loginHint: 'both.verified@example.com' });
    expect((await api.get('/me', bearer(session!))).body).toMatchObject({ id: user.id });
    expect(await connections(headers)).toEqual([expect.objectContaining({ provider: 'google', email: 'both.verified@example.com' })]);
  });

  it('does not when the provider does not assert the email verified (Facebook): 409, no session, and a pending link for the account holder', async () => {
    const { user, headers } = await signedInUser(auth, 'fb.owner@example.com');
    const jar = await pendingLink('facebook', 'fb.owner@example.com');
    expect(await connections(headers)).toEqual([]);

    // The account holder, signed in, confirms from the same browser: now Facebook signs in to the account.
    expect(await confirmLink(jar, headers)).toMatchObject({ status: 200, body: { linked: true, provider: 'facebook' } });
    const { session } = await signInWithProvider(auth.url, 'facebook', { loginHint: 'fb.owner@example.com' });
    expect((await api.get('/me', bearer(session!))).body).toMatchObject({ id: user.id });
  });

  it('does not when the account never verified its email, even though the provider did', async () => {
    const { identity } = await auth.identities.createWithEvent({ email: 'unproven.account@example.com' });
    expect(identity.emailVerifiedAt).toBeNull();
    await pendingLink('google', 'unproven.account@example.com');
    expect(await auth.rows(sql`select * from linked_identities where user_id = ${identity.id}`)).toEqual([]);
  });
});

describe('linking proofs: bound to the upstream identity and the account, single use, 10 minutes', () => {
  it('works once: a second confirmation with the same proof is refused', async () => {
    const { headers } = await signedInUser(auth, 'once.only@example.com');
    const jar = await pendingLink('facebook', 'once.only@example.com');
    expect((await confirmLink(jar, headers)).status).toBe(200);
    expect(await confirmLink(jar, headers)).toMatchObject({ status: 400, body: { code: 'identity:invalid_link_token' } });
  });

  it('works only for the account it was made for: another account holder cannot spend it, and that leaves it usable', async () => {
    const owner = await signedInUser(auth, 'proof.owner@example.com');
    const intruder = await signedInUser(auth, 'proof.intruder@example.com');
    const jar = await pendingLink('facebook', 'proof.owner@example.com');
    expect(await confirmLink(jar, intruder.headers)).toMatchObject({ status: 400, body: { code: 'identity:invalid_link_token' } });
    expect(await connections(intruder.headers)).toEqual([]);
    expect((await confirmLink(jar, owner.headers)).status).toBe(200);
  });

  it('links exactly the identity that signed in at the provider: the account gets that subject, and a second identity with the same email gets its own proof', async () => {
    const { headers } = await signedInUser(auth, 'exact.identity@example.com');
    const first = providers().addUser('facebook', { email: 'exact.identity@example.com', subject: '1000001' });
    const jar = await pendingLink('facebook', 'exact.identity@example.com');
    // Another Facebook user claims the same address: a proof of its own, which cannot take the slot.
    providers().addUser('facebook', { email: 'exact.identity@example.com', subject: '1000002' });
    const otherJar = await pendingLink('facebook', 'exact.identity@example.com');
    expect((await confirmLink(jar, headers)).status).toBe(200);
    expect(await connections(headers)).toEqual([expect.objectContaining({ provider: 'facebook', subject: first.subject })]);
    expect(await confirmLink(otherJar, headers)).toMatchObject({ status: 409, body: { code: 'identity:provider_already_linked' } });
  });

  it('expires 10 minutes after the provider sign-in: accepted 1 ms before, refused 1 ms after', async () => {
    await signedInUser(auth, 'proof.early@example.com');
    await signedInUser(auth, 'proof.late@example.com');
    const earlyJar = await pendingLink('facebook', 'proof.early@example.com');
    const lateJar = await pendingLink('facebook', 'proof.late@example.com');
    clock.advance(600_000 - 1);
    // The holders sign in again (a recent sign-in is required to link), then confirm.
    const fresh = async (email: string) => bearer((await signedInUser(auth, email)).token);
    expect((await confirmLink(earlyJar, await fresh('proof.early@example.com'))).status).toBe(200);
    clock.advance(2);
    expect(await confirmLink(lateJar, await fresh('proof.late@example.com'))).toMatchObject({ status: 400, body: { code: 'identity:invalid_link_token' } });
  });
});

describe('linking a provider while signed in', () => {
  it('the account holder links GitHub from a recent session; GitHub then signs in to that account', async () => {
    const { user, token, headers } = await signedInUser(auth, 'links.github@example.com');
    providers().addUser('github', { email: 'someone.else@example.com', username: 'linker-gh' });
    const step = await authorizeAtProvider(auth.url, 'github', { loginHint: 'linker-gh', path: '/auth/oauth/github/link', headers: bearer(token) });
    const response = await returnToAuth(auth.url, step);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Account linked');
    expect(await connections(headers)).toEqual([expect.objectContaining({ provider: 'github', email: 'someone.else@example.com' })]);
    const { session } = await signInWithProvider(auth.url, 'github', { loginHint: 'linker-gh' });
    expect((await api.get('/me', bearer(session!))).body).toMatchObject({ id: user.id });
  });

  it('needs a session (401) that signed in recently (403)', async () => {
    expect(await api.get('/auth/oauth/github/link', undefined, { redirect: 'manual' })).toMatchObject({ status: 401, body: { code: 'auth:invalid_session' } });
    const { token } = await signedInUser(auth, 'stale.linker@example.com');
    clock.advance(3_600_000);
    expect(await api.get('/auth/oauth/github/link', bearer(token), { redirect: 'manual' })).toMatchObject({ status: 403, body: { code: 'auth:reauthentication_required' } });
  });

  it('refuses an identity that already signs in to another account (409), leaving it where it was', async () => {
    const first = await signedInUser(auth, 'first.owner@example.com');
    providers().addUser('github', { email: 'contested@example.com', username: 'contested-gh' });
    const linked = await returnToAuth(auth.url, await authorizeAtProvider(auth.url, 'github', { loginHint: 'contested-gh', path: '/auth/oauth/github/link', headers: first.headers }));
    expect(linked.status).toBe(200);
    const second = await signedInUser(auth, 'second.owner@example.com');
    const stolen = await returnToAuth(auth.url, await authorizeAtProvider(auth.url, 'github', { loginHint: 'contested-gh', path: '/auth/oauth/github/link', headers: second.headers }));
    expect(await errorOf(stolen)).toMatchObject({ status: 409, body: { code: 'identity:linked_elsewhere' } });
    expect(await connections(second.headers)).toEqual([]);
    expect(await connections(first.headers)).toEqual([expect.objectContaining({ provider: 'github' })]);
  });
});

describe('unlinking', () => {
  it('is refused when it would leave no way to sign in, and allowed once another remains', async () => {
    providers().addUser('twitter', { username: 'only_x' });
    const { session } = await signInWithProvider(auth.url, 'twitter', { loginHint: 'only_x' });
    const headers = bearer(session!);
    expect(await unlink('twitter', headers)).toMatchObject({ status: 409, body: { status: 409, code: 'identity:last_sign_in_method' } });
    expect(await connections(headers)).toHaveLength(1);

    providers().addUser('github', { email: 'only.x.github@example.com', username: 'only-x-gh' });
    expect((await returnToAuth(auth.url, await authorizeAtProvider(auth.url, 'github', { loginHint: 'only-x-gh', path: '/auth/oauth/github/link', headers }))).status).toBe(200);
    expect(await unlink('twitter', headers)).toMatchObject({ status: 200, body: { success: true } });
    // GitHub is now the last way in.
    expect(await unlink('github', headers)).toMatchObject({ status: 409, body: { code: 'identity:last_sign_in_method' } });
  });

  it('of the last link is allowed when the verified email remains a way in; a provider that is not linked is 404', async () => {
    const { headers } = await signedInUser(auth, 'keeps.email@example.com');
    await signInWithProvider(auth.url, 'google', { loginHint: 'keeps.email@example.com' });
    expect((await unlink('google', headers)).status).toBe(200);
    expect(await unlink('google', headers)).toMatchObject({ status: 404, body: { code: 'identity:not_linked' } });
  });

  it('two parallel unlinks of the last two links: one wins, the other is refused, one link remains', async () => {
    providers().addUser('twitter', { username: 'racer_x' });
    const { session } = await signInWithProvider(auth.url, 'twitter', { loginHint: 'racer_x' });
    const headers = bearer(session!);
    providers().addUser('github', { email: 'racer.gh@example.com', username: 'racer-gh' });
    await returnToAuth(auth.url, await authorizeAtProvider(auth.url, 'github', { loginHint: 'racer-gh', path: '/auth/oauth/github/link', headers }));
    const answers = await Promise.all([unlink('twitter', headers), unlink('github', headers)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    expect(await connections(headers)).toHaveLength(1);
  });
});

describe('pre-account takeover', () => {
  it("an account made through a provider that did not verify the email loses that link when the mailbox owner proves the address", async () => {
    const victim = 'mailbox.owner@example.com';
    // Someone signs up through Facebook (which does not vouch for emails) with the victim's address.
    const squatter = await signInWithProvider(auth.url, 'facebook', { loginHint: victim });
    expect(squatter.session).toMatch(/^sess_/);
    // The owner signs in by email code: the mailbox is proven; the squatter's link and sessions are gone.
    const code = await requestCode(api, auth.mail, victim);
    const owner = await api.post<{ session_token: string; user: { id: string } }>('/auth/email/login/finish', { email: victim, code });
    expect(owner.status).toBe(200);
    expect(await connections(bearer(owner.body.session_token))).toEqual([]);
    const audit = await auth.rows(sql`select details from audit_events where type = 'account.ownership_proven' and user_id = ${owner.body.user.id}`);
    expect(audit).toEqual([{ details: { linksRemoved: 1, passwordRemoved: false, mfaFactorsRemoved: 0, sessionsRevoked: 1, accountTokensRetired: 0 } }]);
    expect((await api.get('/me', bearer(squatter.session!))).status).toBe(401);
    // Facebook now finds a verified account it cannot vouch for: proof required, no session.
    await pendingLink('facebook', victim);
  });
});

describe('the connections list', () => {
  it("needs a session, and shows only the caller's own links", async () => {
    expect(await api.get('/auth/oauth/connections')).toMatchObject({ status: 401, body: { code: 'auth:invalid_session' } });
    const { headers } = await signedInUser(auth, 'lonely@example.com');
    const answer = await api.get('/auth/oauth/connections', headers);
    expect(answer.body).toEqual({ connections: [], available: ['google', 'apple', 'twitter', 'facebook', 'github'] });
  });
});
