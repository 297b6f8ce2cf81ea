import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestClock, listenForRevocations, startAuthForFile } from './support';

const clock = createTestClock();
const { auth, api } = startAuthForFile({ clock, seed: ['user@example.com', 'admin@example.com'] });

const get = (path: string, headers: Record<string, string> = {}) => api.get(path, headers);
const post = (path: string, headers: Record<string, string> = {}) => api.post(path, undefined, headers);
/** `POST /auth/dev/token` (the endpoint under test here), whatever it answers. */
const devToken = (email: string) => api.post<Record<string, unknown> & { session_token: string }>('/auth/dev/token', { email });

describe('sessions against real PostgreSQL and Redis', () => {
  it('issues a dev token in the seed shape and stores only its hash', async () => {
    const { status, body } = await devToken('user@example.com');
    expect(status).toBe(200);
    expect(body.session_token).toMatch(/^sess_[A-Za-z0-9_-]{43}$/);
    expect(body.expires_in).toBe(86400);
    expect(body.user).toMatchObject({ email: 'user@example.com' });
    expect(Object.keys(body.user as object).sort()).toEqual(['email', 'id', 'username']);

    const rows = await auth.rows(sql`select token_hash from sessions`);
    const stored = rows.map((row) => String(row.token_hash));
    expect(stored).toContain(createHash('sha256').update(body.session_token).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(body.session_token);
  });

  it('validates by cookie and by Bearer token, and /me accepts both', async () => {
    const { body } = await devToken('user@example.com');
    const token = body.session_token;
    const byCookie = await get('/auth/validate', { cookie: `session_token=${token}` });
    expect(byCookie.status).toBe(200);
    const validated = byCookie.body;
    expect(validated).toMatchObject({ email: 'user@example.com', user_id: (body.user as { id: string }).id });
    expect(Date.parse(String(validated.expires_at))).toBeGreaterThan(Date.now());

    const byBearer = await post('/validate-token', { authorization: `Bearer ${token}` });
    expect(byBearer.status).toBe(200);

    const credentials: Record<string, string>[] = [{ cookie: `session_token=${token}` }, { authorization: `Bearer ${token}` }];
    for (const headers of credentials) {
      const me = await get('/me', headers);
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ email: 'user@example.com' });
    }
  });

  it('writes last-seen at most once a minute: a validation within the minute is one read, just past it a read and the write', async () => {
    const { body } = await devToken('user@example.com');
    const token = body.session_token;
    const tokenHash = createHash('sha256').update(token).digest('hex');
    const lastSeen = async () => new Date(String((await auth.rows(sql`select last_seen_at from sessions where token_hash = ${tokenHash}`))[0]!.last_seen_at)).getTime();
    /** The session statements one validation sends (the relays' background polls left out). */
    const validation = async () => {
      let status = 0;
      const statements = await auth.statementsDuring(async () => {
        status = (await post('/validate-token', { authorization: `Bearer ${token}` })).status;
      });
      expect(status).toBe(200);
      const own = statements.filter((statement) => /"sessions"/.test(statement));
      return { reads: own.filter((statement) => /^\s*select\b/i.test(statement)).length, writes: own.filter((statement) => /^\s*update\b/i.test(statement)).length };
    };
    const issuedAt = await lastSeen();
    expect(issuedAt).toBe(clock.now().getTime());

    expect(await validation()).toEqual({ reads: 1, writes: 0 });
    clock.advance(60_000);
    expect(await validation()).toEqual({ reads: 1, writes: 0 });
    expect(await lastSeen()).toBe(issuedAt);
    clock.advance(1);
    expect(await validation()).toEqual({ reads: 1, writes: 1 });
    expect(await lastSeen()).toBe(issuedAt + 60_001);
    expect(await validation()).toEqual({ reads: 1, writes: 0 });
  });

  it('rejects missing, malformed and unknown tokens with 401 in the error shape', async () => {
    const cases = [
      get('/me'),
      get('/auth/validate', { cookie: 'session_token=nonsense' }),
      post('/validate-token', { authorization: `Bearer sess_${'A'.repeat(43)}` }),
      post('/validate-token', { authorization: 'Basic dXNlcjpwYXNz' }),
    ];
    for (const response of await Promise.all(cases)) {
      expect(response.status).toBe(401);
      const body = response.body;
      expect(body).toMatchObject({ status: 401 });
      expect(String(body.code)).toMatch(/^auth:/);
    }
  });

  it('refreshes a session: new token, full lifetime, old token dead', async () => {
    const { body } = await devToken('user@example.com');
    clock.advance(60 * 60 * 1000);
    const refreshed = await post('/auth/refresh', { cookie: `session_token=${body.session_token}` });
    expect(refreshed.status).toBe(200);
    const next = refreshed.body as { session_token: string; expires_in: number };
    expect(next.session_token).not.toBe(body.session_token);
    expect(next.expires_in).toBe(86400);
    const cookie = refreshed.headers.get('set-cookie') ?? '';
    expect(cookie).toContain(`session_token=${next.session_token}`);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);

    expect((await get('/me', { cookie: `session_token=${body.session_token}` })).status).toBe(401);
    const validated = (await post('/validate-token', { authorization: `Bearer ${next.session_token}` })).body as { expires_at: string };
    expect(Date.parse(validated.expires_at)).toBe(clock.now().getTime() + 86400 * 1000);
  });

  it('expires sessions after their lifetime: valid just before it ends, not just after', async () => {
    const { body } = await devToken('user@example.com');
    const headers = { authorization: `Bearer ${body.session_token}` };
    expect((await get('/me', headers)).status).toBe(200);
    clock.advance(86400 * 1000 - 1);
    expect((await get('/me', headers)).status).toBe(200);
    clock.advance(2);
    expect((await get('/me', headers)).status).toBe(401);
  });

  it('logs out: the session dies, the cookie is cleared, the revocation is published on Redis', async () => {
    const revocations = await listenForRevocations();
    try {
      const { body } = await devToken('user@example.com');
      const cookie = { cookie: `session_token=${body.session_token}` };
      const logout = await post('/auth/logout', cookie);
      expect(logout.status).toBe(200);
      expect(logout.headers.get('set-cookie')).toMatch(/session_token=;.*Expires=Thu, 01 Jan 1970/);
      expect((await get('/me', cookie)).status).toBe(401);
      expect((await post('/auth/logout', cookie)).status).toBe(401);
      await revocations.published(body.session_token);
    } finally {
      revocations.stop();
    }
  });

  it('refuses a dev token for an unknown email without creating anyone', async () => {
    const before = await auth.rows(sql`select count(*)::int as n from identities`);
    const { status, body } = await devToken('nobody@example.com');
    expect(status).toBe(404);
    expect(body).toMatchObject({ status: 404, code: 'user:not_found' });
    const after = await auth.rows(sql`select count(*)::int as n from identities`);
    expect(after[0]).toEqual(before[0]);
  });
});
