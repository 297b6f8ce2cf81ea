import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpCatcher, type SmtpCatcher } from '@malet/testing';
import { startAuthTestInstance, type AuthTestInstance } from './auth-test-instance';
import { STRONG, bearer, httpClient, login, register, rows } from './password-test-helpers';

let smtp: SmtpCatcher;
let auth: AuthTestInstance;
const http = httpClient(() => auth);

beforeAll(async () => {
  smtp = await startSmtpCatcher();
  auth = await startAuthTestInstance({ env: { SMTP_URL: smtp.url } });
});
afterAll(async () => {
  await auth?.stop();
  await smtp?.stop();
});

/** A signed-in session with a refresh token bound to it (what the mobile exchange will hand out). */
async function signedInWithRefresh(email: string) {
  await register(auth, smtp, email);
  const { body } = await login(auth, email, STRONG);
  const sessionToken = String(body.session_token);
  const validated = (await (await http.post('/validate-token', undefined, bearer(sessionToken))).json()) as { user_id: string; session_id: string };
  const refreshToken = await auth.refreshTokens.issue({ userId: validated.user_id, sessionId: validated.session_id });
  return { sessionToken, refreshToken, userId: validated.user_id };
}

describe('refresh tokens', () => {
  it('are ref_ + 32 bytes, stored only as hashes, and rotate within their family', async () => {
    const { refreshToken, userId } = await signedInWithRefresh('refresh.rotate@example.com');
    expect(refreshToken).toMatch(/^ref_[A-Za-z0-9_-]{43}$/);
    const stored = await rows(auth, sql`select * from refresh_tokens where user_id = ${userId}`);
    expect(JSON.stringify(stored)).not.toContain(refreshToken);
    const next = await auth.refreshTokens.rotate(refreshToken);
    expect(next.token).not.toBe(refreshToken);
    const family = await rows(auth, sql`select family_id, rotated_at from refresh_tokens where user_id = ${userId} order by created_at`);
    expect(new Set(family.map((row) => row.family_id)).size).toBe(1);
    expect(family[0]!.rotated_at).not.toBeNull();
  });

  it('treat reuse of a rotated token as theft: the family and its session are revoked', async () => {
    const { refreshToken, sessionToken } = await signedInWithRefresh('refresh.reuse@example.com');
    const next = await auth.refreshTokens.rotate(refreshToken);
    await expect(auth.refreshTokens.rotate(refreshToken)).rejects.toMatchObject({ code: 'auth:invalid_refresh_token' });
    await expect(auth.refreshTokens.rotate(next.token)).rejects.toMatchObject({ code: 'auth:invalid_refresh_token' });
    expect((await http.get('/me', bearer(sessionToken))).status).toBe(401);
    expect(await rows(auth, sql`select id from audit_events where type = 'refresh_token.reuse'`)).toHaveLength(1);
  });

  it('allow exactly one of many parallel rotations', async () => {
    const { refreshToken } = await signedInWithRefresh('refresh.parallel@example.com');
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => auth.refreshTokens.rotate(refreshToken)));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
  });
});

describe('POST /auth/revoke (RFC 7009)', () => {
  it('revokes a refresh token’s family and its session, answering 200', async () => {
    const { refreshToken, sessionToken } = await signedInWithRefresh('revoke.refresh@example.com');
    const response = await http.post('/auth/revoke', { token: refreshToken, token_type_hint: 'refresh_token' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ success: true });
    await expect(auth.refreshTokens.rotate(refreshToken)).rejects.toMatchObject({ status: 401 });
    expect((await http.get('/me', bearer(sessionToken))).status).toBe(401);
    expect(await rows(auth, sql`select id from audit_events where type = 'refresh_token.revoked'`)).toHaveLength(1);
  });

  it('answers 200 the same way for unknown, malformed-but-string and already revoked tokens', async () => {
    const { refreshToken } = await signedInWithRefresh('revoke.unknown@example.com');
    await http.post('/auth/revoke', { token: refreshToken });
    const answers = await Promise.all(
      [refreshToken, `ref_${'A'.repeat(43)}`, 'garbage', `sess_${'B'.repeat(43)}`].map((token) => http.post('/auth/revoke', { token })),
    );
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual({ success: true });
    }
  });

  it('also revokes a session token (an access token in RFC 7009 terms), form-encoded too', async () => {
    await register(auth, smtp, 'revoke.session@example.com');
    const token = String((await login(auth, 'revoke.session@example.com', STRONG)).body.session_token);
    const response = await fetch(`${auth.url}/auth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(response.status).toBe(200);
    expect((await http.get('/me', bearer(token))).status).toBe(401);
  });

  it('rejects bodies without a usable token with 400', async () => {
    for (const body of [{}, { token: '' }, { token: 42 }, { token: 'x'.repeat(1000) }, '{"token":', { token: 'a', token_type_hint: 'bogus' }]) {
      const response = await http.post('/auth/revoke', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
    }
  });

  it('revokes refresh tokens with the sessions they belong to (password change, revoke-others)', async () => {
    const { refreshToken, sessionToken } = await signedInWithRefresh('refresh.cascade@example.com');
    const { body } = await login(auth, 'refresh.cascade@example.com', STRONG);
    const keeper = String(body.session_token);
    expect((await http.post('/auth/sessions/revoke-others', undefined, bearer(keeper))).status).toBe(200);
    expect((await http.get('/me', bearer(sessionToken))).status).toBe(401);
    await expect(auth.refreshTokens.rotate(refreshToken)).rejects.toMatchObject({ status: 401 });
  });
});
