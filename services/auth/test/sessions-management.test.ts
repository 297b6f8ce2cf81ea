import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRONG, bearer, listenForRevocations, login, registerUser, startAuthForFile, type RevocationListener } from './support';

const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0';
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';

const { auth, api } = startAuthForFile();
/** Auth's revocation channel on the run's Redis, where gateways listen (no gateway runs here). */
let revocations: RevocationListener;

beforeAll(async () => {
  revocations = await listenForRevocations();
});
afterAll(() => revocations?.stop());

const register = (email: string) => registerUser(api, auth.mail, email);

async function signInAs(email: string, userAgent: string) {
  const { body } = await login(auth, email, STRONG, { 'user-agent': userAgent });
  return { token: String(body.session_token), userId: String((body.user as { id: string }).id) };
}

/** The subgraph as the gateway calls it, for a viewer signed in with a password. */
const graphql = (claims: { userId: string | null; email: string | null; sessionId: string | null }, query: string, variables: Record<string, unknown> = {}) =>
  auth.graphql(query, { ...claims, amr: ['pwd'] }, variables);

describe('session management over REST', () => {
  it('lists my live sessions with device, IP, last seen, and marks the current one', async () => {
    const email = 'list.me@example.com';
    await register(email);
    const laptop = await signInAs(email, FIREFOX_WINDOWS);
    await signInAs(email, SAFARI_IPHONE);
    // Neither a session that ended nor another user's is listed.
    const ended = await signInAs(email, SAFARI_IPHONE);
    expect((await api.post('/auth/logout', undefined, bearer(ended.token))).status).toBe(200);
    await register('list.someone-else@example.com');
    await signInAs('list.someone-else@example.com', FIREFOX_WINDOWS);
    const response = await api.get('/auth/sessions', bearer(laptop.token));
    expect(response.status).toBe(200);
    const { sessions } = response.body as { sessions: Record<string, unknown>[] };
    expect(sessions).toHaveLength(2);
    const current = sessions.find((session) => session.current)!;
    expect(current).toMatchObject({ device: 'Firefox 121 on Windows 10', ip: expect.stringMatching(/127\.0\.0\.1/), user_agent: FIREFOX_WINDOWS });
    expect(Date.parse(String(current.last_seen_at))).toBeGreaterThan(0);
    const phone = sessions.find((session) => !session.current)!;
    expect(String(phone.device)).toMatch(/^Safari 17 on iOS/);
    expect(Object.keys(current).sort()).toEqual(['created_at', 'current', 'device', 'expires_at', 'id', 'ip', 'last_seen_at', 'methods', 'user_agent']);
    expect((await api.get('/auth/sessions')).status).toBe(401);
  });

  it('revokes one of my sessions and publishes its revocation on Redis, but never another user’s (404)', async () => {
    const email = 'revoke.one@example.com';
    const stranger = 'revoke.stranger@example.com';
    await register(email);
    await register(stranger);
    const mine = await signInAs(email, FIREFOX_WINDOWS);
    const other = await signInAs(email, SAFARI_IPHONE);
    const theirs = await signInAs(stranger, FIREFOX_WINDOWS);
    const list = (await api.get<{ sessions: { id: string; current: boolean }[] }>('/auth/sessions', bearer(mine.token))).body;
    const otherId = list.sessions.find((session) => !session.current)!.id;
    const theirId = (await api.get<{ sessions: { id: string }[] }>('/auth/sessions', bearer(theirs.token))).body.sessions[0]!.id;

    const forbidden = await api.del(`/auth/sessions/${theirId}`, bearer(mine.token));
    expect(forbidden.status).toBe(404);
    expect(forbidden.body).toMatchObject({ code: 'session:not_found' });
    expect((await api.get('/me', bearer(theirs.token))).status).toBe(200);
    expect((await api.del('/auth/sessions/not-a-uuid', bearer(mine.token))).status).toBe(404);

    const revoked = await api.del(`/auth/sessions/${otherId}`, bearer(mine.token));
    expect(revoked.status).toBe(200);
    await revocations.published(other.token);
    expect((await api.get('/me', bearer(other.token))).status).toBe(401);
    expect((await api.get('/me', bearer(mine.token))).status).toBe(200);
    expect((await api.del(`/auth/sessions/${otherId}`, bearer(mine.token))).status).toBe(404);
    const audit = await auth.rows(sql`select details->>'session_id' as id from audit_events where type = 'session.revoked'`);
    expect(audit.map((row) => row.id)).toContain(otherId);
  });

  it('revokes all my other sessions, publishing each revocation on Redis, and keeps this one', async () => {
    const email = 'revoke.others@example.com';
    await register(email);
    const keep = await signInAs(email, FIREFOX_WINDOWS);
    const others = [await signInAs(email, SAFARI_IPHONE), await signInAs(email, FIREFOX_WINDOWS)];
    const response = await api.post('/auth/sessions/revoke-others', undefined, bearer(keep.token));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ revoked: 2 });
    for (const other of others) {
      await revocations.published(other.token);
      expect((await api.get('/me', bearer(other.token))).status).toBe(401);
    }
    expect((await api.get('/me', bearer(keep.token))).status).toBe(200);
  });
});

describe('session management over GraphQL (auth subgraph)', () => {
  it('shows User.sessions to the user themselves only, and revokes through mutations, publishing the revocations on Redis', async () => {
    const email = 'gql.sessions@example.com';
    await register(email);
    const current = await signInAs(email, FIREFOX_WINDOWS);
    const other = await signInAs(email, SAFARI_IPHONE);
    const third = await signInAs(email, SAFARI_IPHONE);
    const rest = (await api.get<{ sessions: { id: string; current: boolean }[] }>('/auth/sessions', bearer(current.token))).body;
    const currentId = rest.sessions.find((session) => session.current)!.id;
    const viewer = { userId: current.userId, email, sessionId: currentId };

    const listed = await graphql(viewer, '{ me { id sessions { id device ip lastSeenAt current methods } } }');
    expect(listed.errors).toBeUndefined();
    const sessions = (listed.data!.me as { sessions: { id: string; device: string; current: boolean; methods: string[] }[] }).sessions;
    expect(sessions).toHaveLength(3);
    expect(sessions.find((session) => session.current)).toMatchObject({ id: currentId, device: 'Firefox 121 on Windows 10', methods: ['pwd'] });

    const stranger = await graphql(
      { userId: '00000000-0000-4000-8000-000000000000', email: 'x@example.com', sessionId: null },
      `query ($rep: [_Any!]!) { _entities(representations: $rep) { ... on User { sessions { id } } } }`,
      { rep: [{ __typename: 'User', id: current.userId }] },
    );
    expect(stranger.errors?.[0]?.extensions.code).toBe('FORBIDDEN');

    const otherId = sessions.find((session) => !session.current)!.id;
    const revoked = await graphql(viewer, 'mutation ($id: ID!) { revokeSession(id: $id) }', { id: otherId });
    expect(revoked.data).toEqual({ revokeSession: true });
    const again = await graphql(viewer, 'mutation ($id: ID!) { revokeSession(id: $id) }', { id: otherId });
    expect(again.errors?.[0]?.extensions.code).toBe('NOT_FOUND');

    const rest2 = await graphql(viewer, 'mutation { revokeOtherSessions }');
    expect(rest2.data).toEqual({ revokeOtherSessions: 1 });
    for (const token of [other.token, third.token]) {
      await revocations.published(token);
      expect((await api.get('/me', bearer(token))).status).toBe(401);
    }
    expect((await api.get('/me', bearer(current.token))).status).toBe(200);
    const anonymous = await graphql({ userId: null, email: '', sessionId: null }, 'mutation { revokeOtherSessions }');
    expect(anonymous.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
  });
});

describe('repeated fields in one GraphQL request', () => {
  it('resolves User.sessions and User.mfa once per request however many aliases ask for them (one SQL query on sessions, not one per alias)', async () => {
    const email = 'gql.aliases@example.com';
    await register(email);
    const current = await signInAs(email, FIREFOX_WINDOWS);
    const validated = (await api.post<{ session_id: string }>('/validate-token', undefined, bearer(current.token))).body;
    const viewer = { userId: current.userId, email, sessionId: validated.session_id };
    const aliases = (field: string, count: number) => Array.from({ length: count }, (_, i) => `${field[0]}${i}: ${field}`).join(' ');
    const query = `{ me { ${aliases('sessions { id current }', 50)} ${aliases('mfa { enabled }', 20)} } }`;
    let answer: Awaited<ReturnType<typeof graphql>> | undefined;
    const statements = await auth.statementsDuring(async () => {
      answer = await graphql(viewer, query);
    });
    expect(answer!.errors).toBeUndefined();
    const me = answer!.data!.me as Record<string, { id: string; current: boolean }[] | { enabled: boolean }>;
    expect(me.s0).toEqual(me.s49);
    expect(me.s0).toEqual([{ id: viewer.sessionId, current: true }]);
    expect(me.m19).toEqual({ enabled: false });
    expect(statements.filter((statement) => /from "sessions"/.test(statement) && !/"token_hash" = /.test(statement))).toHaveLength(1);
    expect(statements.filter((statement) => /from "mfa_factors"/.test(statement))).toHaveLength(1);
  });
});
