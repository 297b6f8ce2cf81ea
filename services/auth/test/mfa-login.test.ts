import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { buildOpenApiDocument } from '../src/core/http/openapi';
import { createTestClock, enrollTotp, firstFactorSucceeded, issueDevToken, requestCode, signedInUser, startAuth, startAuthForFile, startMfaChallenge, type HttpAnswer } from './support';

const clock = createTestClock();
const { auth, api } = startAuthForFile({ clock });

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

describe('the MFA gate behind completeSignIn', () => {
  it('issues a session straight away for an account without MFA', async () => {
    const { user } = await signedInUser(auth, 'gate-none@example.com');
    const result = await firstFactorSucceeded(auth.completeSignIn, user);
    expect(result.kind).toBe('session');
  });

  it('answers a challenge for an enrolled account: mfa_ token, stored hashed, bound to user and first factor', async () => {
    const { user, headers } = await signedInUser(auth, 'gate-enrolled@example.com');
    const { app } = await enrollTotp(api, headers, clock);
    const result = await firstFactorSucceeded(auth.completeSignIn, user, 'password');
    expect(result.kind).toBe('mfa_required');
    if (result.kind !== 'mfa_required') return;
    const { mfaToken, methods } = result.challenge;
    expect(mfaToken).toMatch(/^mfa_[A-Za-z0-9_-]{43}$/);
    expect(methods).toEqual(['totp', 'backup_code']);

    const rows = await auth.db.execute(sql`select * from mfa_challenges where user_id = ${user.id}`);
    expect(rows.rows).toHaveLength(1);
    expect(rows.rows[0]).toMatchObject({ token_hash: sha256(mfaToken), first_factor: 'password', attempts: 0, consumed_at: null });
    expect(JSON.stringify(rows.rows)).not.toContain(mfaToken);
    const ttl = new Date(String(rows.rows[0]!.expires_at)).getTime() - new Date(String(rows.rows[0]!.created_at)).getTime();
    expect(ttl).toBe(5 * 60_000);

    clock.advance(30_000);
    const ok = await api.post('/auth/mfa/verify', { mfa_token: mfaToken, code: app.code(), method: 'totp' });
    expect(ok.status).toBe(200);
    const validated = await api.post('/validate-token', undefined, { authorization: `Bearer ${String(ok.body.session_token)}` });
    expect(validated.body).toMatchObject({ user_id: user.id, amr: ['password', 'mfa', 'otp'] });
    // The second factor finishes the sign-in like any other: a refresh token bound to the new session.
    expect(ok.body).toMatchObject({ refresh_token: expect.stringMatching(/^ref_/), refresh_expires_in: 2592000 });
    const renewed = await api.post('/auth/refresh', { refresh_token: ok.body.refresh_token });
    expect((await api.post('/validate-token', undefined, { authorization: `Bearer ${String(renewed.body.session_token)}` })).body).toMatchObject({
      session_id: (validated.body as { session_id: string }).session_id,
      amr: ['password', 'mfa', 'otp'],
    });

    // Single use.
    clock.advance(30_000);
    expect((await api.post('/auth/mfa/verify', { mfa_token: mfaToken, code: app.code() })).body).toMatchObject({
      status: 401,
      code: 'mfa:challenge_invalid',
    });

    const audit = await auth.db.execute(sql`select type, outcome, method, details from audit_events where user_id = ${user.id} and type like 'signin%' order by occurred_at`);
    expect(audit.rows).toEqual([
      { type: 'signin.mfa_challenge', outcome: 'success', method: 'password', details: {} },
      { type: 'signin', outcome: 'success', method: 'password', details: { second_factor: 'totp' } },
    ]);
  });

  it('expires challenges after five minutes: one answered just before works, one just after does not', async () => {
    const { user, headers } = await signedInUser(auth, 'gate-expiry@example.com');
    const { app } = await enrollTotp(api, headers, clock);
    const inTime = await startMfaChallenge(auth.completeSignIn, user);
    const late = await startMfaChallenge(auth.completeSignIn, user);
    clock.advance(5 * 60_000 - 1);
    expect((await api.post('/auth/mfa/verify', { mfa_token: inTime.mfaToken, code: app.code() })).status).toBe(200);
    clock.advance(2);
    // The next step's code, which a live challenge would accept (the current one was just used).
    expect((await api.post('/auth/mfa/verify', { mfa_token: late.mfaToken, code: app.code(1) })).body).toMatchObject({
      code: 'mfa:challenge_invalid',
    });
  });

  it('50 parallel wrong guesses (TOTP and backup code mixed) get exactly five answers; then the challenge is dead', async () => {
    const { user, headers } = await signedInUser(auth, 'gate-parallel@example.com');
    const { app, backupCodes } = await enrollTotp(api, headers, clock);
    clock.advance(30_000);
    const challenge = await startMfaChallenge(auth.completeSignIn, user);
    const wrongTotp = String((Number(app.code()) + 500_000) % 1_000_000).padStart(6, '0');
    const guesses = Array.from({ length: 50 }, (_, i) =>
      i % 2
        ? api.post('/auth/mfa/verify', { mfa_token: challenge.mfaToken, code: wrongTotp })
        : api.post('/auth/mfa/backup', { mfa_token: challenge.mfaToken, code: 'aaaaa-aaaaa' }),
    );
    const answers = await Promise.all(guesses);
    expect(answers.every((a) => a.status === 401)).toBe(true);
    expect(answers.filter((a) => a.body.code === 'mfa:invalid_code')).toHaveLength(5);
    expect(answers.filter((a) => a.body.code === 'mfa:challenge_invalid')).toHaveLength(45);

    const row = await auth.db.execute(sql`select attempts, consumed_at from mfa_challenges where token_hash = ${sha256(challenge.mfaToken)}`);
    expect(row.rows[0]).toEqual({ attempts: 5, consumed_at: null });
    // Even the right answers cannot revive it.
    expect((await api.post('/auth/mfa/verify', { mfa_token: challenge.mfaToken, code: app.code() })).body).toMatchObject({ code: 'mfa:challenge_invalid' });
    expect((await api.post('/auth/mfa/backup', { mfa_token: challenge.mfaToken, code: backupCodes[0] })).body).toMatchObject({ code: 'mfa:challenge_invalid' });
    const sessions = await auth.db.execute(sql`select count(*)::int as n from sessions where user_id = ${user.id} and 'mfa' = any(amr)`);
    expect(sessions.rows[0]).toEqual({ n: 0 });

    const locked = await auth.db.execute(sql`select count(*)::int as n from audit_events where user_id = ${user.id} and type = 'mfa.challenge_locked'`);
    expect(locked.rows[0]).toEqual({ n: 1 });
  });

  it('the fifth answer may still be right; the sixth never is', async () => {
    const { user, headers } = await signedInUser(auth, 'gate-fifth@example.com');
    const { app } = await enrollTotp(api, headers, clock);
    clock.advance(30_000);
    const challenge = await startMfaChallenge(auth.completeSignIn, user);
    const wrong = String((Number(app.code()) + 1) % 1_000_000).padStart(6, '0');
    for (let left = 4; left >= 1; left -= 1) {
      expect((await api.post('/auth/mfa/verify', { mfa_token: challenge.mfaToken, code: wrong })).body).toMatchObject({
        details: `Invalid code; ${left} attempt(s) left`,
      });
    }
    expect((await api.post('/auth/mfa/verify', { mfa_token: challenge.mfaToken, code: app.code() })).status).toBe(200);

    // Five wrong answers: the sixth, right as it is, is refused.
    clock.advance(30_000);
    const spent = await startMfaChallenge(auth.completeSignIn, user);
    const wrongNow = String((Number(app.code()) + 1) % 1_000_000).padStart(6, '0');
    for (let i = 0; i < 5; i += 1) expect((await api.post('/auth/mfa/verify', { mfa_token: spent.mfaToken, code: wrongNow })).status).toBe(401);
    expect((await api.post('/auth/mfa/verify', { mfa_token: spent.mfaToken, code: app.code() })).body).toMatchObject({ status: 401, code: 'mfa:challenge_invalid' });
    // The code itself was good: a fresh challenge takes it.
    const fresh = await startMfaChallenge(auth.completeSignIn, user);
    expect((await api.post('/auth/mfa/verify', { mfa_token: fresh.mfaToken, code: app.code() })).status).toBe(200);
  });
});

describe('end to end through email OTP (real SMTP)', () => {
  it('email code → mfa_required → TOTP → session; no session cookie before the second factor', async () => {
    const { user, headers } = await signedInUser(auth, 'e2e-otp@example.com');
    const { app } = await enrollTotp(api, headers, clock);
    clock.advance(30_000);

    const code = await requestCode(api, auth.mail, user.email);

    const finish = await api.post('/auth/email/login/finish', { email: user.email, code });
    expect(finish.status).toBe(200);
    expect(finish.body).toMatchObject({ mfa_required: true, mfa_methods: ['totp', 'backup_code'] });
    expect(finish.body.session_token).toBeUndefined();
    expect(finish.headers.get('set-cookie')).toBeNull();

    const verify = await api.post('/auth/mfa/verify', { mfa_token: finish.body.mfa_token, code: app.code() });
    expect(verify.status).toBe(200);
    expect(verify.headers.get('set-cookie')).toMatch(/session_token=sess_/);
    const me = await api.get('/me', { authorization: `Bearer ${String(verify.body.session_token)}` });
    expect(me.body).toMatchObject({ id: user.id, email: user.email });
    const validated = await api.post('/validate-token', undefined, { authorization: `Bearer ${String(verify.body.session_token)}` });
    expect((validated.body.amr as string[]).slice(1)).toEqual(['mfa', 'otp']);
  });
});

describe('end to end through password login', () => {
  it('register → password login → mfa_required → backup code → session', async () => {
    const email = 'e2e-password@example.com';
    const password = 'Correct-horse-battery-staple-42';
    expect((await api.post('/auth/register', { email, password })).status).toBe(201);
    const dev = await issueDevToken(auth, email);
    const { backupCodes } = await enrollTotp(api, { authorization: `Bearer ${dev}` }, clock);

    const login = await api.post('/auth/login', { email, password });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ mfa_required: true, mfa_methods: ['totp', 'backup_code'] });
    expect(login.headers.get('set-cookie')).toBeNull();

    const backup = await api.post('/auth/mfa/backup', { mfa_token: login.body.mfa_token, code: backupCodes[0] });
    expect(backup.status).toBe(200);
    const validated = await api.post('/validate-token', undefined, { authorization: `Bearer ${String(backup.body.session_token)}` });
    // RFC 8176: the password method's `pwd`, then MFA by a backup code.
    expect(validated.body).toMatchObject({ email, amr: ['pwd', 'mfa', 'backup_code'] });
  });
});

describe('bad input on every MFA endpoint', () => {
  it('is a 4xx in the error shape and stores nothing', async () => {
    const { headers } = await signedInUser(auth, 'bad-input@example.com');
    const counts = async () =>
      (
        await auth.db.execute(
          sql`select (select count(*) from mfa_factors)::int as f, (select count(*) from mfa_challenges)::int as c, (select coalesce(sum(attempts), 0)::int from mfa_challenges) as a, (select count(*) from mfa_backup_codes)::int as b, (select count(*) from sessions)::int as s`,
        )
      ).rows[0];
    const before = await counts();
    const token = `mfa_${'A'.repeat(43)}`;
    const cases: [string, unknown, Record<string, string>?][] = [
      ['/auth/mfa/verify', {}],
      ['/auth/mfa/verify', { mfa_token: token }],
      ['/auth/mfa/verify', { mfa_token: token, code: '12345' }],
      ['/auth/mfa/verify', { mfa_token: token, code: '123456', method: 'email' }],
      ['/auth/mfa/verify', { mfa_token: 42, code: '123456' }],
      ['/auth/mfa/verify', { mfa_token: 'x'.repeat(5000), code: '123456' }],
      ['/auth/mfa/verify', '{"mfa_token": '],
      ['/auth/mfa/verify', [1, 2, 3]],
      ['/auth/mfa/backup', {}],
      ['/auth/mfa/backup', { mfa_token: token, code: 'short' }],
      ['/auth/mfa/backup', { mfa_token: token, code: 'aaaaa-aaaaa', extra: true }],
      ['/auth/mfa/totp/confirm', {}, headers],
      ['/auth/mfa/totp/confirm', { code: 'abcdef' }, headers],
      ['/auth/mfa/sms/enroll', { phone: 'not a phone' }, headers],
      ['/auth/mfa/sms/confirm', { code: null }, headers],
      ['/auth/mfa/disable', { code: 'x'.repeat(100) }, headers],
      ['/auth/mfa/disable', { method: 'totp' }, headers],
      ['/auth/mfa/backup/regenerate', { code: '12 34 56 78' }, headers],
      ['/auth/mfa/backup/regenerate', { method: 'backup_code', code: '123456' }, headers],
    ];
    for (const [path, body, extra] of cases) {
      const response = await api.post(path, body, extra);
      expect(response.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(response.body).toMatchObject({ status: 400 });
      expect(typeof response.body.code).toBe('string');
    }
    // Well-formed but unknown tokens: 401, nothing stored either.
    for (const path of ['/auth/mfa/verify', '/auth/mfa/backup']) {
      const response = await api.post(path, { mfa_token: token, code: path.endsWith('backup') ? 'aaaaa-aaaaa' : '123456' });
      expect(response.body).toMatchObject({ status: 401, code: 'mfa:challenge_invalid' });
    }
    expect(await counts()).toEqual(before);
  });

  it('session routes answer 401 without a session', async () => {
    const anonymous: [string, string, unknown?][] = [
      ['GET', '/auth/mfa/status'],
      ['POST', '/auth/mfa/totp/enroll'],
      ['POST', '/auth/mfa/totp/confirm', { code: '123456' }],
      ['POST', '/auth/mfa/sms/enroll', { phone: '+15551234567' }],
      ['POST', '/auth/mfa/sms/confirm', { code: '123456' }],
      ['POST', '/auth/mfa/disable', { code: '123456' }],
      ['POST', '/auth/mfa/backup/regenerate', { code: '123456' }],
    ];
    for (const [method, path, body] of anonymous) {
      const response = method === 'GET' ? await api.get(path) : await api.post(path, body, { authorization: `Bearer sess_${'B'.repeat(43)}` });
      expect(response.status, path).toBe(401);
      expect(response.body).toMatchObject({ code: 'auth:invalid_session' });
    }
  });
});

describe('rate limits on MFA endpoints', () => {
  it('answer 429 with Retry-After and the error shape', async () => {
    const limited = await startAuth({ env: { RATE_LIMITS_ENABLED: 'true' } });
    try {
      const client = limited.api;
      const statuses: number[] = [];
      let last: HttpAnswer | undefined;
      for (let i = 0; i < 6; i += 1) {
        last = await client.post('/auth/mfa/verify', { mfa_token: `mfa_${'C'.repeat(43)}`, code: '123456' });
        statuses.push(last.status);
      }
      expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
      expect(statuses.at(-1)).toBe(429);
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(last!.body).toMatchObject({ status: 429, code: 'rate_limit:exceeded' });
    } finally {
      await limited.stop();
    }
  });
});

describe('OpenAPI', () => {
  it('documents every MFA route of seed 000', () => {
    const document = buildOpenApiDocument(auth.routes, { version: 'test', serverUrl: 'http://localhost:3008' });
    const expected = [
      ['post', '/auth/mfa/verify'],
      ['post', '/auth/mfa/backup'],
      ['get', '/auth/mfa/status'],
      ['post', '/auth/mfa/totp/enroll'],
      ['post', '/auth/mfa/totp/confirm'],
      ['post', '/auth/mfa/sms/enroll'],
      ['post', '/auth/mfa/sms/confirm'],
      ['post', '/auth/mfa/disable'],
      ['post', '/auth/mfa/backup/regenerate'],
    ] as const;
    for (const [method, path] of expected) expect(document.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    const verify = document.paths['/auth/mfa/verify']!.post as { requestBody: { content: { 'application/json': { schema: { properties: object } } } } };
    expect(Object.keys(verify.requestBody.content['application/json'].schema.properties).sort()).toEqual(['code', 'method', 'mfa_token']);
  });
});
