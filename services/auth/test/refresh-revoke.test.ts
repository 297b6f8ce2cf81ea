import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { STRONG, STRONGER, bearer, createTestClock, login, registerUser, startAuthForFile } from './support';

const clock = createTestClock();
const { auth, api } = startAuthForFile({ clock });

const register = (email: string) => registerUser(api, auth.mail, email);

/** A password sign-in: the session token and the refresh token bound to it, from the login answer. */
async function signedInWithRefresh(email: string) {
  await register(email);
  const { body } = await login(auth, email, STRONG);
  const sessionToken = String(body.session_token);
  const refreshToken = String(body.refresh_token);
  const validated = (await api.post<{ user_id: string; session_id: string }>('/validate-token', undefined, bearer(sessionToken))).body;
  return { sessionToken, refreshToken, userId: validated.user_id, sessionId: validated.session_id };
}

const sessionIdOf = async (sessionToken: string) => (await api.post<{ session_id?: string }>('/validate-token', undefined, bearer(sessionToken))).body.session_id;

describe('refresh tokens', () => {
  it('are ref_ + 32 bytes, stored only as hashes, and rotate within their family', async () => {
    const { refreshToken, userId } = await signedInWithRefresh('refresh.rotate@example.com');
    expect(refreshToken).toMatch(/^ref_[A-Za-z0-9_-]{43}$/);
    const stored = await auth.rows(sql`select * from refresh_tokens where user_id = ${userId}`);
    expect(JSON.stringify(stored)).not.toContain(refreshToken);
    const next = await auth.refreshTokens.rotate(refreshToken);
    expect(next.token).not.toBe(refreshToken);
    const family = await auth.rows(sql`select family_id, rotated_at from refresh_tokens where user_id = ${userId} order by created_at`);
    expect(new Set(family.map((row) => row.family_id)).size).toBe(1);
    expect(family[0]!.rotated_at).not.toBeNull();
  });

  it('treat reuse of a rotated token past the grace window as theft: the family and its session are revoked', async () => {
    const { refreshToken, sessionToken } = await signedInWithRefresh('refresh.reuse@example.com');
    const next = await auth.refreshTokens.rotate(refreshToken);
    clock.advance(10_001);
    await expect(auth.refreshTokens.rotate(refreshToken)).rejects.toMatchObject({ code: 'auth:invalid_refresh_token' });
    await expect(auth.refreshTokens.rotate(next.token)).rejects.toMatchObject({ code: 'auth:invalid_refresh_token' });
    expect((await api.get('/me', bearer(sessionToken))).status).toBe(401);
    expect(await auth.rows(sql`select id from audit_events where type = 'refresh_token.reuse'`)).toHaveLength(1);
  });

});

describe('POST /auth/refresh with a refresh token (seed 003)', () => {
  it('is what sign-in hands out: a ref_ token for 30 days next to the session', async () => {
    await register('refresh.issued@example.com');
    const { status, body } = await login(auth, 'refresh.issued@example.com', STRONG);
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 86400, refresh_expires_in: 2592000 });
    expect(body.refresh_token).toMatch(/^ref_[A-Za-z0-9_-]{43}$/);
  });

  it('rotates the refresh token and renews its session: same session id, new session token, the old one dead', async () => {
    const { refreshToken, sessionToken, sessionId, userId } = await signedInWithRefresh('refresh.exchange@example.com');
    const response = await api.post('/auth/refresh', { refresh_token: refreshToken });
    expect(response.status).toBe(200);
    const body = response.body;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 86400, refresh_expires_in: 2592000, user: { id: userId } });
    expect(body.session_token).toMatch(/^sess_/);
    expect(body.session_token).not.toBe(sessionToken);
    expect(body.refresh_token).not.toBe(refreshToken);
    expect(await sessionIdOf(String(body.session_token))).toBe(sessionId);
    expect((await api.get('/me', bearer(sessionToken))).status).toBe(401);
    // The successor works in turn.
    expect((await api.post('/auth/refresh', { refresh_token: body.refresh_token })).status).toBe(200);
  });

  it('works until 30 days have passed: a token used just before works, one used just after does not', async () => {
    const inTime = await signedInWithRefresh('refresh.prompt@example.com');
    const late = await signedInWithRefresh('refresh.late@example.com');
    clock.advance(30 * 86_400_000 - 1);
    expect((await api.post('/auth/refresh', { refresh_token: inTime.refreshToken })).status).toBe(200);
    clock.advance(2);
    const refused = await api.post('/auth/refresh', { refresh_token: late.refreshToken });
    expect(refused.body).toMatchObject({ status: 401, code: 'auth:invalid_refresh_token' });
  });

  it('brings back a session that expired, but never one that was revoked', async () => {
    const expired = await signedInWithRefresh('refresh.expired@example.com');
    // Past the session's 24 hours, well within the refresh token's 30 days.
    clock.advance(86_400_000 + 1);
    expect((await api.get('/me', bearer(expired.sessionToken))).status).toBe(401);
    const renewed = await api.post('/auth/refresh', { refresh_token: expired.refreshToken });
    expect(renewed.status).toBe(200);
    expect((await api.get('/me', bearer(String(renewed.body.session_token)))).status).toBe(200);

    // A revoked session (here behind the refresh token's back, straight in the table) stays dead, and so does the family.
    const revoked = await signedInWithRefresh('refresh.revoked@example.com');
    await auth.rows(sql`update sessions set revoked_at = now(), revoke_reason = 'test' where id = ${revoked.sessionId}`);
    const refused = await api.post('/auth/refresh', { refresh_token: revoked.refreshToken });
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ status: 401, code: 'auth:invalid_refresh_token' });
    const family = await auth.rows(sql`select revoked_at from refresh_tokens where user_id = (select user_id from sessions where id = ${revoked.sessionId})`);
    expect(family.length).toBeGreaterThan(0);
    expect(family.every((row) => row.revoked_at !== null)).toBe(true);
  });

  it('treats a refresh token replayed past the grace window as theft over HTTP: 401, and the session it had renewed is signed out', async () => {
    const { refreshToken } = await signedInWithRefresh('refresh.replay@example.com');
    const first = (await api.post<{ session_token: string }>('/auth/refresh', { refresh_token: refreshToken })).body;
    clock.advance(10_001);
    const replay = await api.post('/auth/refresh', { refresh_token: refreshToken });
    expect(replay.status).toBe(401);
    expect((await api.get('/me', bearer(first.session_token))).status).toBe(401);
  });

  it('parallel refreshes of one token from one client all succeed with the same successor and session token (the grace window, as Hydra does)', async () => {
    const family = await signedInWithRefresh('refresh.parallel@example.com');
    const answers = await Promise.all(Array.from({ length: 6 }, () => api.post<{ session_token: string; refresh_token: string }>('/auth/refresh', { refresh_token: family.refreshToken })));
    expect(answers.map((answer) => answer.status)).toEqual(Array(6).fill(200));
    expect(new Set(answers.map((answer) => answer.body.refresh_token)).size).toBe(1);
    expect(new Set(answers.map((answer) => answer.body.session_token)).size).toBe(1);
    const { session_token: sessionToken, refresh_token: successor } = answers[0]!.body;
    // One rotation: the presented token and its one successor; the session kept its id.
    expect(await auth.rows(sql`select id from refresh_tokens where user_id = ${family.userId}`)).toHaveLength(2);
    expect(await sessionIdOf(sessionToken)).toBe(family.sessionId);
    expect((await api.get('/me', bearer(family.sessionToken))).status).toBe(401);
    expect(await auth.rows(sql`select id from audit_events where type = 'refresh_token.reuse' and user_id = ${family.userId}`)).toEqual([]);
    expect((await api.post('/auth/refresh', { refresh_token: successor })).status).toBe(200);
  });

  it('the grace window lasts REFRESH_TOKEN_REUSE_GRACE_SECONDS (10) for the client that rotated: a repeat just inside gets the same successor, one just after revokes the family', async () => {
    const inTime = await signedInWithRefresh('refresh.grace-in@example.com');
    const late = await signedInWithRefresh('refresh.grace-late@example.com');
    const first = { inTime: await api.post('/auth/refresh', { refresh_token: inTime.refreshToken }), late: await api.post('/auth/refresh', { refresh_token: late.refreshToken }) };
    clock.advance(10_000);
    const repeated = await api.post('/auth/refresh', { refresh_token: inTime.refreshToken });
    expect(repeated.body).toMatchObject({ refresh_token: first.inTime.body.refresh_token, session_token: first.inTime.body.session_token });
    clock.advance(1);
    expect((await api.post('/auth/refresh', { refresh_token: late.refreshToken })).body).toMatchObject({ status: 401, code: 'auth:invalid_refresh_token' });
    expect((await api.get('/me', bearer(String(first.late.body.session_token)))).status).toBe(401);
    expect((await api.post('/auth/refresh', { refresh_token: first.late.body.refresh_token })).status).toBe(401);
    expect((await api.get('/me', bearer(String(first.inTime.body.session_token)))).status).toBe(200);
  });

  it('inside the window, another client (address or user agent) presenting the rotated token is theft: the family ends', async () => {
    const others: Record<string, string>[] = [{ 'x-forwarded-for': '203.0.113.50' }, { 'user-agent': 'stolen-token-replayer/1.0' }];
    for (const other of others) {
      const family = await signedInWithRefresh(`refresh.grace-other-${Object.keys(other)[0]}@example.com`);
      const first = await api.post('/auth/refresh', { refresh_token: family.refreshToken });
      expect(first.status).toBe(200);
      const replay = await api.post('/auth/refresh', { refresh_token: family.refreshToken }, other);
      expect(replay.body).toMatchObject({ status: 401, code: 'auth:invalid_refresh_token' });
      expect((await api.get('/me', bearer(String(first.body.session_token)))).status).toBe(401);
      expect(await auth.rows(sql`select id from audit_events where type = 'refresh_token.reuse' and user_id = ${family.userId}`)).toHaveLength(1);
    }
  });

  it('a rotated token whose successor was already used is theft even inside the window', async () => {
    const family = await signedInWithRefresh('refresh.grace-used@example.com');
    const first = await api.post('/auth/refresh', { refresh_token: family.refreshToken });
    expect((await api.post('/auth/refresh', { refresh_token: first.body.refresh_token })).status).toBe(200);
    expect((await api.post('/auth/refresh', { refresh_token: family.refreshToken })).status).toBe(401);
    expect(await auth.rows(sql`select revoke_reason from sessions where id = ${family.sessionId}`)).toEqual([{ revoke_reason: 'refresh_token_reuse' }]);
  });

  it('a family ends REFRESH_TOKEN_ABSOLUTE_LIFETIME_SECONDS (90 days) after its sign-in however often it rotates: a rotation just before works, one just after does not', async () => {
    const families = [await signedInWithRefresh('refresh.family-in@example.com'), await signedInWithRefresh('refresh.family-late@example.com')];
    const tokens = families.map((family) => family.refreshToken);
    // Rotating every 29 days keeps each token well inside its own 30 days.
    for (const days of [29, 29, 29]) {
      clock.advance(days * 86_400_000);
      for (const [i, token] of tokens.entries()) {
        const rotated = await api.post<{ refresh_token: string; refresh_expires_in: number }>('/auth/refresh', { refresh_token: token });
        expect(rotated.status).toBe(200);
        tokens[i] = rotated.body.refresh_token;
      }
    }
    // 87 days in: the successors stop where the family does, 3 days from now, not in 30.
    const left = 3 * 86_400;
    clock.advance(left * 1000 - 1);
    const last = await api.post<{ refresh_expires_in: number }>('/auth/refresh', { refresh_token: tokens[0] });
    expect(last.status).toBe(200);
    expect(last.body.refresh_expires_in).toBe(0);
    clock.advance(2);
    expect((await api.post('/auth/refresh', { refresh_token: tokens[1] })).body).toMatchObject({ status: 401, code: 'auth:invalid_refresh_token' });
  });

  it('dies with its session: logout and revoking the session token end the refresh token too', async () => {
    const viaLogout = await signedInWithRefresh('refresh.logout@example.com');
    const liveRefreshTokens = async (userId: string) =>
      (await auth.rows(sql`select id from refresh_tokens where user_id = ${userId} and revoked_at is null`)).length;
    expect(await liveRefreshTokens(viaLogout.userId)).toBe(1);
    expect((await api.post('/auth/logout', undefined, bearer(viaLogout.sessionToken))).status).toBe(200);
    expect(await liveRefreshTokens(viaLogout.userId)).toBe(0);
    expect((await api.post('/auth/refresh', { refresh_token: viaLogout.refreshToken })).status).toBe(401);

    const viaRevoke = await signedInWithRefresh('refresh.revoke-session@example.com');
    expect((await api.post('/auth/revoke', { token: viaRevoke.sessionToken })).status).toBe(200);
    expect(await liveRefreshTokens(viaRevoke.userId)).toBe(0);
    expect((await api.post('/auth/refresh', { refresh_token: viaRevoke.refreshToken })).status).toBe(401);
  });

  it('survives a password change in the session that made it; the other sessions lose theirs', async () => {
    const kept = await signedInWithRefresh('refresh.password-change@example.com');
    const other = (await login(auth, 'refresh.password-change@example.com', STRONG)).body;
    const changed = await api.post('/auth/change-password', { current_password: STRONG, new_password: STRONGER }, bearer(kept.sessionToken));
    expect(changed.status).toBe(200);
    expect((await api.post('/auth/refresh', { refresh_token: other.refresh_token })).status).toBe(401);
    expect((await api.post('/auth/refresh', { refresh_token: kept.refreshToken })).status).toBe(200);
  });

  it('answers bad bodies with 400 and unknown or malformed tokens with 401, in the error shape', async () => {
    for (const body of [{ refresh_token: 42 }, { refresh_token: '' }, { refresh_token: 'x'.repeat(500) }, { refresh_token: 'a', extra: 1 }, '{"refresh_token":']) {
      const response = await api.post('/auth/refresh', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body).toMatchObject({ status: 400, code: expect.any(String) });
    }
    for (const refresh_token of [`ref_${'A'.repeat(43)}`, 'garbage', `sess_${'B'.repeat(43)}`]) {
      const response = await api.post('/auth/refresh', { refresh_token });
      expect(response.status, refresh_token).toBe(401);
      expect(response.body).toMatchObject({ status: 401, code: 'auth:invalid_refresh_token' });
    }
  });
});

describe('POST /auth/revoke (RFC 7009)', () => {
  it('revokes a refresh token’s family and its session, answering 200', async () => {
    const { refreshToken, sessionToken } = await signedInWithRefresh('revoke.refresh@example.com');
    const response = await api.post('/auth/revoke', { token: refreshToken, token_type_hint: 'refresh_token' });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ success: true });
    await expect(auth.refreshTokens.rotate(refreshToken)).rejects.toMatchObject({ status: 401 });
    expect((await api.get('/me', bearer(sessionToken))).status).toBe(401);
    expect(await auth.rows(sql`select id from audit_events where type = 'refresh_token.revoked'`)).toHaveLength(1);
  });

  it('answers 200 the same way for unknown, malformed-but-string and already revoked tokens', async () => {
    const { refreshToken } = await signedInWithRefresh('revoke.unknown@example.com');
    await api.post('/auth/revoke', { token: refreshToken });
    const answers = await Promise.all(
      [refreshToken, `ref_${'A'.repeat(43)}`, 'garbage', `sess_${'B'.repeat(43)}`].map((token) => api.post('/auth/revoke', { token })),
    );
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ success: true });
    }
  });

  it('also revokes a session token (an access token in RFC 7009 terms), form-encoded too', async () => {
    await register('revoke.session@example.com');
    const token = String((await login(auth, 'revoke.session@example.com', STRONG)).body.session_token);
    const response = await api.post('/auth/revoke', new URLSearchParams({ token }).toString(), { 'content-type': 'application/x-www-form-urlencoded' });
    expect(response.status).toBe(200);
    expect((await api.get('/me', bearer(token))).status).toBe(401);
  });

  it('rejects bodies without a usable token with 400', async () => {
    for (const body of [{}, { token: '' }, { token: 42 }, { token: 'x'.repeat(1000) }, '{"token":', { token: 'a', token_type_hint: 'bogus' }]) {
      const response = await api.post('/auth/revoke', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
    }
  });

  // The password-change case is 'survives a password change in the session that made it; ...' above.
  it('revokes the refresh tokens of the sessions that revoke-others ends', async () => {
    const { refreshToken, sessionToken } = await signedInWithRefresh('refresh.cascade@example.com');
    const { body } = await login(auth, 'refresh.cascade@example.com', STRONG);
    const keeper = String(body.session_token);
    expect((await api.post('/auth/sessions/revoke-others', undefined, bearer(keeper))).status).toBe(200);
    expect((await api.get('/me', bearer(sessionToken))).status).toBe(401);
    await expect(auth.refreshTokens.rotate(refreshToken)).rejects.toMatchObject({ status: 401 });
  });
});
