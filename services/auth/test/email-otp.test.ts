import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { loadAuthConfig } from '../src/config';
import { createTestClock, requestCode as requestCodeFrom, startAuthForFile, wrongCodeFor } from './support';

const run = promisify(execFile);
const clock = createTestClock();
const { auth, api } = startAuthForFile({ clock, seed: ['user@example.com'] });

/** Starts a login and reads the code out of the email the SMTP server received. */
const requestCode = (email: string) => requestCodeFrom(api, auth.mail, email);

describe('email OTP against real PostgreSQL, Redis and SMTP', () => {
  it('signs up a new email on its first verified code: cookie, token, verified identity, user.created in the outbox', async () => {
    const email = 'new.person@example.com';
    const code = await requestCode(email);
    const response = await api.post('/auth/email/login/finish', { email, code });
    expect(response.status).toBe(200);
    const body = response.body as { session_token: string; expires_in: number; user: { id: string; email: string } };
    expect(body.session_token).toMatch(/^sess_[A-Za-z0-9_-]{43}$/);
    expect(body.expires_in).toBe(86400);
    expect(body.user.email).toBe(email);
    const cookie = response.headers.get('set-cookie') ?? '';
    expect(cookie).toContain(`session_token=${body.session_token}`);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);

    const me = await api.get('/me', { cookie: `session_token=${body.session_token}` });
    expect(me.body).toMatchObject({ id: body.user.id, email, email_verified: true });

    const events = await auth.rows(sql`select payload from outbox where topic = 'user.created'`);
    expect(events.map((row) => (row.payload as { user_id: string }).user_id)).toContain(body.user.id);
    const audit = await auth.rows(sql`select type, outcome, method, ip from audit_events where user_id = ${body.user.id}`);
    expect(audit).toContainEqual(expect.objectContaining({ type: 'signin', outcome: 'success', method: 'email_otp' }));
  });

  it('signs a known user into the existing account, case-insensitively', async () => {
    const existing = await auth.identities.findByEmail('user@example.com');
    const code = await requestCode('User@Example.com');
    const response = await api.post('/auth/email/login/finish', { email: 'USER@example.com', code });
    expect(response.status).toBe(200);
    expect((response.body as { user: { id: string } }).user.id).toBe(existing!.id);
  });

  it('stores only an HMAC of the code, bound to its challenge (not a plain hash)', async () => {
    const email = 'hash.check@example.com';
    const code = await requestCode(email);
    const [row] = await auth.rows(sql`select * from login_challenges where email = ${email} order by created_at desc limit 1`);
    expect(JSON.stringify(row)).not.toContain(code);
    expect(row!.secret_hash).not.toBe(createHash('sha256').update(code).digest('hex'));
    expect(row!.secret_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rejects a wrong code, and kills the challenge after 5 wrong guesses even for the right code', async () => {
    const email = 'guesser@example.com';
    const code = await requestCode(email);
    const wrong = wrongCodeFor(code);
    const statuses: string[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await api.post('/auth/email/login/finish', { email, code: wrong });
      expect(response.status).toBe(401);
      statuses.push((response.body as { code: string }).code);
    }
    expect(statuses).toEqual(['auth:invalid_code', 'auth:invalid_code', 'auth:invalid_code', 'auth:invalid_code', 'auth:code_expired']);
    const right = await api.post('/auth/email/login/finish', { email, code });
    expect(right.status).toBe(401);
    expect(right.body).toMatchObject({ status: 401, code: 'auth:code_expired' });
  });

  it('counts atomically: 50 parallel wrong guesses get exactly 5 comparisons, then the challenge is dead', async () => {
    const email = 'parallel@example.com';
    const code = await requestCode(email);
    const wrong = Array.from({ length: 50 }, (_, i) => String((Number(code) + 1 + i) % 1_000_000).padStart(6, '0'));
    const responses = await Promise.all(wrong.map((guess) => api.post('/auth/email/login/finish', { email, code: guess })));
    const codes = responses.map((r) => `${r.status} ${(r.body as { code: string }).code}`);
    expect(codes.filter((c) => c === '401 auth:invalid_code')).toHaveLength(4);
    expect(codes.filter((c) => c === '401 auth:code_expired')).toHaveLength(46);
    const [row] = await auth.rows(sql`select attempts from login_challenges where email = ${email}`);
    expect(row!.attempts).toBe(5);
    expect((await api.post('/auth/email/login/finish', { email, code })).status).toBe(401);
  });

  it('lets only one of many parallel correct submissions win', async () => {
    const email = 'race@example.com';
    const code = await requestCode(email);
    const responses = await Promise.all(Array.from({ length: 10 }, () => api.post('/auth/email/login/finish', { email, code })));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 401)).toHaveLength(9);
    const sessions = await auth.rows(sql`select s.id from sessions s join identities i on i.id = s.user_id where i.email = ${email}`);
    expect(sessions).toHaveLength(1);
  });

  it('replaces an older code when a new one is sent', async () => {
    const email = 'twice@example.com';
    const first = await requestCode(email);
    let second = await requestCode(email);
    while (second === first) second = await requestCode(email);
    const old = await api.post('/auth/email/login/finish', { email, code: first });
    expect(old.status).toBe(401);
    expect((await api.post('/auth/email/login/finish', { email, code: second })).status).toBe(200);
  });

  it('expires a code after 10 minutes (it works just before, not just after) and refuses reuse of a spent one', async () => {
    // Two addresses: a new code replaces the older one of the same address.
    const [prompt, slow] = ['prompt@example.com', 'slow@example.com'];
    const inTime = await requestCode(prompt);
    const code = await requestCode(slow);
    clock.advance(10 * 60_000 - 1);
    expect((await api.post('/auth/email/login/finish', { email: prompt, code: inTime })).status).toBe(200);
    expect((await api.post('/auth/email/login/finish', { email: prompt, code: inTime })).status).toBe(401);

    clock.advance(2);
    const late = await api.post('/auth/email/login/finish', { email: slow, code });
    expect(late.status).toBe(401);
    expect(late.body).toMatchObject({ code: 'auth:code_expired' });
  });

  it('answers start identically for known and unknown emails, doing the same work for both', async () => {
    const answers = new Set<string>();
    for (let i = 0; i < 4; i++) {
      for (const email of ['user@example.com', `nobody-${i}@example.com`]) {
        const response = await api.post('/auth/email/login/start', { email });
        answers.add(`${response.status} ${response.text} ${response.headers.get('content-type')}`);
      }
    }
    expect([...answers]).toEqual(['200 {"success":true,"expires_in":600} application/json; charset=utf-8']);
    // Same work on both paths, so neither the answer nor its timing tells accounts apart: an
    // unknown address gets a stored challenge and a real email too (its first login signs it up).
    for (let i = 0; i < 4; i++) {
      const email = `nobody-${i}@example.com`;
      expect(await auth.rows(sql`select kind from login_challenges where email = ${email}`)).toEqual([{ kind: 'email_otp' }]);
      expect((await auth.mail.waitForMail(email, (m) => /sign-in code/.test(m.subject))).text).toMatch(/\b\d{6}\b/);
    }
  });

  it('records the sends and the failures in the audit log without the code', async () => {
    const email = 'audited@example.com';
    const code = await requestCode(email);
    await api.post('/auth/email/login/finish', { email, code: wrongCodeFor(code) }, { 'user-agent': 'audit-test/1.0' });
    const events = await auth.rows(
      sql`select type, outcome, ip, user_agent, details from audit_events where details->>'email' = ${email} order by occurred_at`,
    );
    expect(events).toContainEqual(expect.objectContaining({ type: 'otp.sent', outcome: 'success' }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'signin', outcome: 'failure', user_agent: 'audit-test/1.0' }));
    expect(JSON.stringify(events)).not.toContain(code);
  });

  it('purges challenges a day after they expire (kept 1 ms before, gone 1 ms after), and only those', async () => {
    // The scheduled job itself, so the day is the service's, not the test's.
    const purge = auth.core.jobs.find((job) => job.name === 'purge expired login challenges')!;
    const left = async () =>
      (await auth.rows(sql`select email from login_challenges where email in ('old.code@example.com', 'fresh.code@example.com') order by email`)).map((row) => row.email);
    await requestCode('old.code@example.com');
    clock.advance(10 * 60_000 + 86_400_000 - 1);
    await requestCode('fresh.code@example.com');
    await purge.run();
    expect(await left()).toEqual(['fresh.code@example.com', 'old.code@example.com']);
    clock.advance(2);
    expect(await purge.run()).toBeGreaterThan(0);
    expect(await left()).toEqual(['fresh.code@example.com']);
  });

  it("runs the seed's curl examples as written (host and port aside)", async () => {
    const base = auth.url;
    const start = await run('curl', [
      '-s',
      '-w',
      '\n%{http_code}',
      '-X',
      'POST',
      `${base}/auth/email/login/start`,
      '-H',
      'Content-Type: application/json',
      '-d',
      '{"email": "user@example.com"}',
    ]);
    expect(start.stdout.trim().split('\n').at(-1)).toBe('200');
    const mail = await auth.mail.waitForMail('user@example.com', (m) => /sign-in code/.test(m.subject));
    const code = /\b(\d{6})\b/.exec(mail.text)![1]!;

    // The seed's finish example with the code from the email in place of 123456.
    const finish = await run('curl', [
      '-s',
      '-i',
      '-X',
      'POST',
      `${base}/auth/email/login/finish`,
      '-H',
      'Content-Type: application/json',
      '-d',
      `{"email": "user@example.com", "code": "${code}"}`,
    ]);
    expect(finish.stdout).toMatch(/^HTTP\/1\.1 200/);
    expect(finish.stdout).toMatch(/set-cookie: session_token=sess_/i);
    const body = JSON.parse(finish.stdout.slice(finish.stdout.indexOf('\r\n\r\n') + 4)) as { session_token: string };
    expect(body.session_token).toMatch(/^sess_/);

    const check = await run('curl', ['-s', `${base}/auth/email/check?email=user@example.com`]);
    expect(JSON.parse(check.stdout)).toEqual({ exists: true });
  });
});

describe('passwordless configuration', () => {
  it('refuses the published dev OTP secret in production, naming the key but never the value', () => {
    const attempt = () => loadAuthConfig({ NODE_ENV: 'production', INTERNAL_TOKEN_SECRET: 'p'.repeat(40) });
    expect(attempt).toThrow(/OTP_HMAC_SECRET: must be set in production/);
    expect(attempt).toThrow(expect.objectContaining({ message: expect.not.stringContaining('dev-only-otp-hmac-secret') }));
  });

  it('reads origin allow-lists in canonical form and refuses anything that is not an origin', () => {
    const config = loadAuthConfig({ RETURN_TO_ALLOWLIST: ' https://App.Example.com/ , http://localhost:3000', CSRF_TRUSTED_ORIGINS: 'https://app.example.com:443' });
    expect(config.returnToAllowlist).toEqual(['https://app.example.com', 'http://localhost:3000']);
    expect(config.csrf.trustedOrigins).toEqual(['https://app.example.com']);
    for (const bad of ['app.example.com', 'https://app.example.com/path', 'javascript:alert(1)', '*']) {
      expect(() => loadAuthConfig({ RETURN_TO_ALLOWLIST: bad }), bad).toThrow(/RETURN_TO_ALLOWLIST/);
    }
  });
});
