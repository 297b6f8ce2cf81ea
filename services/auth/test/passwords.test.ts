import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPasswordHasher, parseArgon2Params } from '../src/features/passwords/password-hasher';
import { createCredentialRepository } from '../src/features/passwords/credential.repository';
import { STRONG, STRONGER, argon2Operations, bearer, createTestClock, login, mailAfter, registerUser, requestCode, startAuth, startAuthForFile, tokenFromMail } from './support';

const clock = createTestClock();
const { auth, api } = startAuthForFile({ clock });

const register = (email: string, password = STRONG) => registerUser(api, auth.mail, email, password);
const countIdentities = async () => Number((await auth.rows(sql`select count(*)::int as n from identities`))[0]!.n);

describe('registration', () => {
  it('creates the account with an argon2id (OWASP) hash, emails a link and a code, and does not sign in', async () => {
    const email = 'reg.new@example.com';
    const before = (await auth.mailCount());
    const response = await api.post('/auth/register', { email, password: STRONG, name: 'Reg New' });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({ message: expect.any(String), user: { email, name: 'Reg New' } });
    expect(response.headers.get('set-cookie')).toBeNull();

    const mail = await mailAfter(auth.mail, before, email, /Verify your/);
    expect(mail.text).toMatch(/code: \d{6}/);
    expect(mail.text).toContain(`${auth.config.publicUrl}/auth/verify-email?token=vfy_`);

    const [stored] = await auth.rows(
      sql`select p.hash, i.email_verified_at from password_credentials p join identities i on i.id = p.user_id where i.email = ${email}`,
    );
    expect(String(stored!.hash)).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(stored!.email_verified_at).toBeNull();
    // The plain password is nowhere in the database.
    const dump = JSON.stringify(await auth.rows(sql`select * from password_credentials`)) + JSON.stringify(await auth.rows(sql`select * from audit_events`));
    expect(dump).not.toContain(STRONG);
    const outbox = await auth.rows(sql`select topic, payload from outbox where payload->>'email' = ${email}`);
    expect(outbox.map((row) => row.topic)).toContain('user.created');
  });

  it('answers an existing email exactly like a new one, emails the owner, and leaves the password alone', async () => {
    const email = 'reg.exists@example.com';
    await register(email);
    const before = (await auth.mailCount());
    const again = await api.post('/auth/register', { email, password: STRONGER, name: 'Reg New' });
    const fresh = await api.post('/auth/register', { email: 'reg.fresh@example.com', password: STRONGER, name: 'Reg New' });
    expect(again.status).toBe(fresh.status);
    const [a, b] = [again.body as { user: { email: string } }, fresh.body as { user: { email: string } }];
    expect(b.user.email).toBe('reg.fresh@example.com');
    expect({ ...a, user: { ...a.user, email: 'x' } }).toEqual({ ...b, user: { ...b.user, email: 'x' } });
    await mailAfter(auth.mail, before, email, /already have/);
    expect((await login(auth, email, STRONG)).status).toBe(200);
    expect((await login(auth, email, STRONGER)).status).toBe(401);
  });

  it('does the same argon2id work for an existing email as for a new one', async () => {
    await register('reg.work@example.com');
    const hashesFor = async (email: string) => {
      const before = await argon2Operations(auth, 'hash');
      expect((await api.post('/auth/register', { email, password: STRONG })).status).toBe(201);
      return (await argon2Operations(auth, 'hash')) - before;
    };
    // One hash either way; everything else a new account needs happens after the answer.
    expect(await hashesFor('reg.work@example.com')).toBe(1);
    expect(await hashesFor('reg.work.new@example.com')).toBe(1);
  });

  it('rejects common passwords, short ones and ones containing the email, storing nothing', async () => {
    const before = await countIdentities();
    const cases: [string, string][] = [
      ['password123', 'auth:password_common'],
      ['Qwerty123', 'auth:password_common'],
      ['short', 'auth:password_too_short'],
      ['weakling.person-2024', 'auth:password_contains_email'],
      ['x'.repeat(300), 'auth:password_too_long'],
    ];
    for (const [password, code] of cases) {
      const response = await api.post('/auth/register', { email: 'weakling.person@example.com', password });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ status: 400, code, fields: ['password'] });
    }
    expect(await countIdentities()).toBe(before);
  });

  it('creates the identity, its password and its event together or not at all', async () => {
    const email = 'half.made@example.com';
    const before = await countIdentities();
    // Make storing the password fail inside the database, as a lost connection or full disk would.
    await auth.rows(
      sql.raw(`create function refuse_password() returns trigger language plpgsql as $$ begin raise exception 'disk full'; end $$;
               create trigger refuse_password before insert on password_credentials for each row execute function refuse_password();`),
    );
    try {
      const response = await api.post('/auth/register', { email, password: STRONG });
      expect(response.status).toBe(500);
      expect(response.body).toMatchObject({ status: 500, code: 'internal:error', error_id: expect.any(String) });
    } finally {
      await auth.rows(sql.raw('drop trigger refuse_password on password_credentials; drop function refuse_password();'));
    }
    expect(await countIdentities()).toBe(before);
    expect(await auth.rows(sql`select id from outbox where payload->>'email' = ${email}`)).toHaveLength(0);
    // Nothing half-made stands in the way: the same registration now succeeds and the password works.
    expect((await api.post('/auth/register', { email, password: STRONG })).status).toBe(201);
    expect((await login(auth, email, STRONG)).status).toBe(200);
  });
});

describe('login', () => {
  it('signs in with cookie and token; unverified emails may sign in and see email_verified false', async () => {
    const email = 'login.ok@example.com';
    await register(email);
    const { status, body, headers } = await login(auth, email, STRONG);
    expect(status).toBe(200);
    expect(body).toMatchObject({ expires_in: 86400, user: { email, email_verified: false } });
    expect(String(body.session_token)).toMatch(/^sess_/);
    expect(headers.get('set-cookie')).toMatch(/session_token=sess_.*HttpOnly/i);
    const me = await api.get('/me', bearer(String(body.session_token)));
    expect(me.body).toMatchObject({ email, email_verified: false });
    const audit = await auth.rows(sql`select type, outcome, method from audit_events where type = 'signin' and outcome = 'success' and method = 'pwd'`);
    expect(audit.length).toBeGreaterThan(0);
  });

  it('accepts the email in any case and the password in another Unicode normal form', async () => {
    const email = 'login.unicode@example.com';
    const composed = 'caf\u00e9-harbour-kettle-93';
    await register(email, composed);
    expect((await login(auth, 'Login.Unicode@Example.com', composed.normalize('NFD'))).status).toBe(200);
  });

  it('answers unknown emails, wrong passwords and password-less accounts the same way', async () => {
    const email = 'login.parity@example.com';
    await register(email);
    await auth.identities.createWithEvent({ email: 'otp.only@example.com', verified: true });
    const answers = await Promise.all([
      login(auth, 'nobody.here@example.com', STRONG),
      login(auth, email, STRONGER),
      login(auth, 'otp.only@example.com', STRONG),
    ]);
    for (const answer of answers) {
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual(answers[0]!.body);
    }
    expect(answers[0]!.body).toMatchObject({ code: 'auth:invalid_credentials' });
    const failures = await auth.rows(sql`select details->>'reason' as reason from audit_events where type = 'signin' and outcome = 'failure'`);
    expect(failures.map((row) => row.reason)).toEqual(expect.arrayContaining(['unknown_email', 'wrong_password', 'no_password']));
  });

  it('verifies one argon2id hash for an unknown email, as for a wrong password (dummy hash)', async () => {
    const email = 'login.work@example.com';
    await register(email);
    const verificationsFor = async (who: string) => {
      const before = await argon2Operations(auth, 'verify');
      expect((await login(auth, who, STRONGER)).status).toBe(401);
      return (await argon2Operations(auth, 'verify')) - before;
    };
    // Without the dummy hash an unknown email would skip argon2id and answer measurably faster.
    expect(await verificationsFor(email)).toBe(1);
    expect(await verificationsFor('login.work.unknown@example.com')).toBe(1);
  });

  it('rehashes a stored hash made with older parameters on the next successful login', async () => {
    const email = 'login.rehash@example.com';
    await register(email);
    const [identity] = await auth.rows(sql`select id from identities where email = ${email}`);
    const weak = createPasswordHasher({ memoryCost: 4096, timeCost: 1, parallelism: 1 });
    await createCredentialRepository(auth.db).setPasswordHash(String(identity!.id), await weak.hash(STRONG), new Date());
    expect((await login(auth, email, STRONG)).status).toBe(200);
    const [after] = await auth.rows(sql`select hash from password_credentials where user_id = ${identity!.id}`);
    expect(parseArgon2Params(String(after!.hash))).toMatchObject({ algorithm: 'argon2id', memoryCost: 19456, timeCost: 2, parallelism: 1 });
    expect((await login(auth, email, STRONG)).status).toBe(200);
  });
});

describe('lockout', () => {
  it('pauses password sign-in after 5 failures with a growing cooldown, audits it, and lets other methods and the owner\'s known client through', async () => {
    const email = 'lock.me@example.com';
    // Verified first: an email code on a never-verified account would remove the password
    // (see account-claim.test.ts), which is not what this test is about.
    const { token } = await register(email);
    expect((await api.post('/auth/verify-email', { token, password: STRONG })).status).toBeLessThan(300);
    // A client that never signed in to the address (behind the trusted loopback proxy).
    const stranger = { 'x-forwarded-for': '198.51.100.66' };
    for (let i = 0; i < 5; i++) expect((await login(auth, email, `wrong-guess-${i}-xyz`, stranger)).status).toBe(401);
    const locked = await login(auth, email, STRONG, stranger);
    expect(locked.status).toBe(429);
    expect(locked.body).toMatchObject({ code: 'auth:password_locked' });
    expect(Number(locked.headers.get('retry-after'))).toBe(30);
    const [lockout] = await auth.rows(sql`select user_id, details from audit_events where type = 'lockout'`);
    expect(lockout).toBeDefined();

    // Email OTP still works for the real owner while passwords are paused; their client is then
    // known to the address, and its password attempts have their own count.
    const code = await requestCode(api, auth.mail, email);
    expect((await api.post('/auth/email/login/finish', { email, code })).status).toBe(200);
    expect((await login(auth, email, STRONG)).status).toBe(200);

    // For strangers the pause holds until its last millisecond; after it one more failure
    // doubles it; the right password then works once the doubled pause is over, not before.
    clock.advance(30_000 - 1);
    expect((await login(auth, email, STRONG, stranger)).status).toBe(429);
    clock.advance(2);
    expect((await login(auth, email, 'wrong-again-xyz', stranger)).status).toBe(401);
    const doubled = await login(auth, email, STRONG, stranger);
    expect(doubled.status).toBe(429);
    expect(Number(doubled.headers.get('retry-after'))).toBe(60);
    clock.advance(60_000 - 1);
    expect((await login(auth, email, STRONG, stranger)).status).toBe(429);
    clock.advance(2);
    expect((await login(auth, email, STRONG, stranger)).status).toBe(200);
    // Success reset the counter (that client's now: it signed in): one failure does not lock again.
    expect((await login(auth, email, 'wrong-once-more', stranger)).status).toBe(401);
    expect((await login(auth, email, STRONG, stranger)).status).toBe(200);
  });

  it('locks unknown emails exactly like known ones (no enumeration through the lockout)', async () => {
    const known = 'lock.known@example.com';
    await register(known);
    const unknown = 'lock.unknown@example.com';
    for (let i = 0; i < 5; i++) {
      await login(auth, known, `nope-${i}-guess`);
      await login(auth, unknown, `nope-${i}-guess`);
    }
    const [a, b] = [await login(auth, known, STRONG), await login(auth, unknown, STRONG)];
    expect(a.status).toBe(429);
    expect(b.status).toBe(429);
    expect(a.body).toEqual(b.body);
  });

  it('counts parallel failures atomically and caps the cooldown', async () => {
    const email = 'lock.parallel@example.com';
    await register(email);
    await Promise.all(Array.from({ length: 8 }, (_, i) => login(auth, email, `parallel-${i}-bad`)));
    const key = createHash('sha256').update(`password-failures:${email}`).digest('hex');
    const [state] = await auth.rows(sql`select failures, locked_until from password_failures where email_hash = ${key}`);
    expect(Number(state!.failures)).toBe(8);
    const lockedFor = (new Date(String(state!.locked_until)).getTime() - clock.now().getTime()) / 1000;
    expect(lockedFor).toBeGreaterThan(200);
    expect(lockedFor).toBeLessThanOrEqual(900);
    // Hammering during the pause is refused without counting, so it cannot extend the pause.
    for (let i = 0; i < 3; i++) expect((await login(auth, email, 'during-lock')).status).toBe(429);
    const [still] = await auth.rows(sql`select failures from password_failures where email_hash = ${key}`);
    expect(Number(still!.failures)).toBe(8);

    // Each failure after a pause doubles the next one (eight failures: 240 s, nine: 480 s) until
    // the cap: ten would be 960 s and is 900 s.
    const pauseLeft = async () => {
      const [row] = await auth.rows(sql`select locked_until from password_failures where email_hash = ${key}`);
      return (new Date(String(row!.locked_until)).getTime() - clock.now().getTime()) / 1000;
    };
    expect(await pauseLeft()).toBe(240);
    clock.advance(240_000 + 1);
    expect((await login(auth, email, 'after-the-pause')).status).toBe(401);
    expect(await pauseLeft()).toBe(480);
    clock.advance(480_000 + 1);
    expect((await login(auth, email, 'after-the-second-pause')).status).toBe(401);
    expect(await pauseLeft()).toBe(900);
  });
});

describe('forgot and reset password', () => {
  it('answers known and unknown emails identically and mails only the account owner', async () => {
    const email = 'forgot.known@example.com';
    await register(email);
    const before = (await auth.mailCount());
    const known = await api.post('/auth/forgot-password', { email });
    const unknown = await api.post('/auth/forgot-password', { email: 'forgot.unknown@example.com' });
    expect(known.status).toBe(200);
    expect(unknown.status).toBe(200);
    expect(known.body).toEqual(unknown.body);
    expect(known.body).toMatchObject({ message: expect.any(String) });
    await mailAfter(auth.mail, before, email, /Reset your/);
    await auth.expectNoMail('forgot.unknown@example.com', before);
  });

  it('resets once with the emailed token, signs out every session, and the token cannot be reused', async () => {
    const email = 'reset.me@example.com';
    await register(email);
    const session = String((await login(auth, email, STRONG)).body.session_token);
    const before = (await auth.mailCount());
    await api.post('/auth/forgot-password', { email });
    const token = tokenFromMail((await mailAfter(auth.mail, before, email, /Reset your/)).text);
    expect(token).toMatch(/^rst_/);

    // A rejected password does not burn the link.
    const weak = await api.post('/auth/reset-password', { token, password: 'password1' });
    expect(weak.status).toBe(400);
    const reset = await api.post('/auth/reset-password', { token, password: STRONGER });
    expect(reset.status).toBe(200);
    expect((await api.get('/me', bearer(session))).status).toBe(401);
    expect((await api.post('/auth/reset-password', { token, password: 'another-fine-passphrase-1' })).status).toBe(400);
    expect((await login(auth, email, STRONG)).status).toBe(401);
    const ok = await login(auth, email, STRONGER);
    expect(ok.status).toBe(200);
    // The link proved the mailbox: the address is now verified.
    expect(ok.body).toMatchObject({ user: { email_verified: true } });
    await mailAfter(auth.mail, before, email, /password was changed/);
    const stored = await auth.rows(sql`select token_hash from account_tokens where purpose = 'reset_password'`);
    expect(JSON.stringify(stored)).not.toContain(token);
    const audit = await auth.rows(sql`select type from audit_events where type = 'password.reset'`);
    expect(audit).toHaveLength(1);
  });

  it('expires reset tokens after one hour (the newest works just before, not just after) and accepts only the newest', async () => {
    const resetLink = async (email: string) => {
      const before = (await auth.mailCount());
      await api.post('/auth/forgot-password', { email });
      return tokenFromMail((await mailAfter(auth.mail, before, email, /Reset your/)).text);
    };
    const email = 'reset.expire@example.com';
    const late = 'reset.late@example.com';
    await register(email);
    await register(late);
    const first = await resetLink(email);
    const second = await resetLink(email);
    const lateToken = await resetLink(late);
    expect((await api.post('/auth/reset-password', { token: first, password: STRONGER })).status).toBe(400);
    clock.advance(3600_000 - 1);
    expect((await api.post('/auth/reset-password', { token: second, password: STRONGER })).status).toBe(200);
    clock.advance(2);
    const expired = await api.post('/auth/reset-password', { token: lateToken, password: STRONGER });
    expect(expired.status).toBe(400);
    expect(expired.body).toMatchObject({ code: 'auth:invalid_token' });
    expect((await login(auth, late, STRONG)).status).toBe(200);
  });
});

describe('change password', () => {
  it('needs the current password, keeps this session, signs out the others, and notifies by email', async () => {
    const email = 'change.pw@example.com';
    await register(email);
    const current = String((await login(auth, email, STRONG)).body.session_token);
    const other = String((await login(auth, email, STRONG)).body.session_token);
    const wrong = await api.post('/auth/change-password', { current_password: 'not-my-password', new_password: STRONGER }, bearer(current));
    expect(wrong.status).toBe(403);
    expect(wrong.body).toMatchObject({ code: 'auth:wrong_password' });
    const weak = await api.post('/auth/change-password', { current_password: STRONG, new_password: 'iloveyou' }, bearer(current));
    expect(weak.status).toBe(400);
    const before = (await auth.mailCount());
    const changed = await api.post('/auth/change-password', { current_password: STRONG, new_password: STRONGER }, bearer(current));
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ revoked_sessions: 1 });
    expect((await api.get('/me', bearer(current))).status).toBe(200);
    expect((await api.get('/me', bearer(other))).status).toBe(401);
    expect((await login(auth, email, STRONGER)).status).toBe(200);
    await mailAfter(auth.mail, before, email, /password was changed/);
    expect((await api.post('/auth/change-password', { current_password: STRONG, new_password: STRONGER })).status).toBe(401);
  });
});

describe('breached passwords (HIBP range API, played by a local server)', () => {
  let hibp: Server;
  let hibpUrl: string;
  const requests: { url: string; padding: string | undefined }[] = [];
  const breached = 'hunter2-but-much-longer-now';

  beforeAll(async () => {
    const sha1 = createHash('sha1').update(breached).digest('hex').toUpperCase();
    hibp = createServer((req, res) => {
      requests.push({ url: req.url ?? '', padding: req.headers['add-padding'] as string | undefined });
      const prefix = /^\/range\/([0-9A-F]{5})$/.exec(req.url ?? '')?.[1];
      if (!prefix) return void res.writeHead(404).end();
      const lines = ['0018A45C4D1DEF81644B54AB7F969B88D65:1', '00D4F6E8FA6EECAD2A3AA415EEC418D38EC:0'];
      if (prefix === sha1.slice(0, 5)) lines.push(`${sha1.slice(5)}:42`);
      res.writeHead(200, { 'content-type': 'text/plain' }).end(lines.join('\r\n'));
    });
    await new Promise<void>((resolve) => hibp.listen(0, '127.0.0.1', resolve));
    hibpUrl = `http://127.0.0.1:${(hibp.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => hibp.close(() => resolve())));

  it('rejects a breached password, sending only a 5-character SHA-1 prefix with padding', async () => {
    const instance = await startAuth({ env: { HIBP_ENABLED: 'true', HIBP_API_URL: hibpUrl } });
    try {
      const client = instance.api;
      const rejected = await client.post('/auth/register', { email: 'hibp.bad@example.com', password: breached });
      expect(rejected.status).toBe(400);
      expect(rejected.body).toMatchObject({ code: 'auth:password_breached' });
      expect(requests.at(-1)).toEqual({ url: expect.stringMatching(/^\/range\/[0-9A-F]{5}$/), padding: 'true' });
      const accepted = await client.post('/auth/register', { email: 'hibp.good@example.com', password: STRONG });
      expect(accepted.status).toBe(201);
    } finally {
      await instance.stop();
    }
  });

  it('fails open when the API is unreachable', async () => {
    const instance = await startAuth({ env: { HIBP_ENABLED: 'true', HIBP_API_URL: 'http://127.0.0.1:9' } });
    try {
      const response = await instance.api.post('/auth/register', { email: 'hibp.down@example.com', password: breached });
      expect(response.status).toBe(201);
    } finally {
      await instance.stop();
    }
  });
});

describe('bad input is a 4xx and stores nothing', () => {
  it('rejects malformed JSON, wrong types, oversize fields and unicode oddities on every password endpoint', async () => {
    const identities = await countIdentities();
    const credentials = Number((await auth.rows(sql`select count(*)::int as n from password_credentials`))[0]!.n);
    const tokens = Number((await auth.rows(sql`select count(*)::int as n from account_tokens`))[0]!.n);
    const endpoints = ['/auth/register', '/auth/login', '/auth/forgot-password', '/auth/reset-password', '/auth/change-password'];
    const bodies: unknown[] = [
      '{"email": "x@example.com", "password": ',
      '[]',
      'null',
      { email: 42, password: STRONG },
      { email: ['a@example.com'], password: STRONG },
      { email: 'bad.types@example.com', password: 12345678 },
      { email: `${'a'.repeat(250)}@example.com`, password: STRONG },
      { email: 'oversize@example.com', password: 'p'.repeat(5000) },
      { email: 'üñí@exämple.com', password: STRONG },
      { email: 'zero\u200Bwidth@example.com', password: STRONG },
      { email: 'rtl\u202Eoverride@example.com', password: STRONG },
      { email: 'nul\u0000byte@example.com', password: STRONG },
      { email: 'two@@example.com', password: STRONG },
      { email: 'extra.field@example.com', password: STRONG, admin: true },
      { token: { $ne: null }, password: STRONG },
    ];
    for (const path of endpoints) {
      for (const body of bodies) {
        const response = await api.post(path, body);
        expect(response.status, `${path} ${JSON.stringify(body)}`).toBeGreaterThanOrEqual(400);
        expect(response.status, `${path} ${JSON.stringify(body)}`).toBeLessThan(500);
        const answer = response.body as { status: number; code: string };
        expect(answer.status).toBe(response.status);
        expect(answer.code).toMatch(/^(request|auth):/);
      }
    }
    const huge = await api.post('/auth/register', { email: 'huge@example.com', password: 'x'.repeat(200_000) });
    expect(huge.status).toBe(413);
    expect(await countIdentities()).toBe(identities);
    expect(Number((await auth.rows(sql`select count(*)::int as n from password_credentials`))[0]!.n)).toBe(credentials);
    expect(Number((await auth.rows(sql`select count(*)::int as n from account_tokens`))[0]!.n)).toBe(tokens);
  });
});

describe('rate limits', () => {
  it('throttles password sign-in and registration at 3 per IP (another IP still gets through), and registration mail at 3 a minute per address and client', async () => {
    const instance = await startAuth({ env: { RATE_LIMITS_ENABLED: 'true' } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await login(instance, 'rl.someone@example.com', STRONG)).status);
      expect(statuses).toEqual([401, 401, 401, 429]);
      expect((await login(instance, 'rl.someone@example.com', STRONG, { 'x-forwarded-for': '198.51.100.99' })).status).toBe(401);
      const signups: number[] = [];
      for (let i = 0; i < 4; i++) signups.push((await instance.api.post('/auth/register', { email: `rl${i}@example.com`, password: STRONG })).status);
      expect(signups).toEqual([201, 201, 201, 429]);
      // One address, one client: its mail budget for the address (3 a minute) holds across 10-second IP windows.
      const sameAddress: number[] = [];
      for (let i = 0; i < 4; i++) {
        const response = await instance.api.post('/auth/register', { email: 'rl.victim@example.com', password: STRONG }, { 'x-forwarded-for': '198.51.100.7' });
        sameAddress.push(response.status);
        if (i === 2) await instance.api.post('/auth/register', { email: 'rl.other@example.com', password: STRONG }, { 'x-forwarded-for': '198.51.100.8' });
      }
      expect(sameAddress).toEqual([201, 201, 201, 429]);
    } finally {
      await instance.stop();
    }
  });
});
