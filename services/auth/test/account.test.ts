import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpCatcher, type SmtpCatcher } from '@malet/testing';
import { createTestClock, startAuthTestInstance, type AuthTestInstance } from './auth-test-instance';
import { STRONG, bearer, httpClient, login, mailAfter, readVerification, register, rows, tokenFromMail } from './password-test-helpers';

const clock = createTestClock();
let smtp: SmtpCatcher;
let auth: AuthTestInstance;
const http = httpClient(() => auth);

beforeAll(async () => {
  smtp = await startSmtpCatcher();
  auth = await startAuthTestInstance({ clock, env: { SMTP_URL: smtp.url } });
});
afterAll(async () => {
  await auth?.stop();
  await smtp?.stop();
});

const verifiedAt = async (email: string) => (await rows(auth, sql`select email_verified_at from identities where email = ${email}`))[0]?.email_verified_at;

describe('email verification', () => {
  it('verifies by the link in the email (GET), once', async () => {
    const email = 'verify.link@example.com';
    const { token } = await register(auth, smtp, email);
    expect(token).toMatch(/^vfy_/);
    const response = await http.get(`/auth/verify-email?token=${encodeURIComponent(token)}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ message: 'Email verified', email, email_verified: true });
    expect(await verifiedAt(email)).not.toBeNull();
    expect((await http.post('/auth/verify-email', { token })).status).toBe(400);
    expect((await login(auth, email, STRONG)).body).toMatchObject({ user: { email_verified: true } });
    const stored = await rows(auth, sql`select token_hash, code_hash from account_tokens`);
    expect(JSON.stringify(stored)).not.toContain(token);
  });

  it('verifies by email and 6-digit code, and five wrong codes use up the code (counted atomically)', async () => {
    const email = 'verify.code@example.com';
    const { code } = await register(auth, smtp, email);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    const answers = await Promise.all(Array.from({ length: 8 }, () => http.post('/auth/verify-email', { email, code: wrong })));
    expect(answers.every((answer) => answer.status === 400)).toBe(true);
    const [row] = await rows(auth, sql`select attempts from account_tokens t join identities i on i.id = t.user_id where i.email = ${email}`);
    expect(Number(row!.attempts)).toBe(5);
    expect((await http.post('/auth/verify-email', { email, code })).status).toBe(400);
    expect(await verifiedAt(email)).toBeNull();

    // A new email (resend) brings a fresh code; unknown emails answer like wrong codes.
    const session = String((await login(auth, email, STRONG)).body.session_token);
    const before = smtp.messages.length;
    const resend = await http.post('/auth/resend-verification-email', undefined, bearer(session));
    expect(resend.status).toBe(200);
    const fresh = readVerification((await mailAfter(smtp, before, email, /Verify your/)).text);
    const unknown = await http.post('/auth/verify-email', { email: 'verify.nobody@example.com', code: fresh.code });
    const mistaken = await http.post('/auth/verify-email', { email, code: fresh.code === '000000' ? '000001' : '000000' });
    expect(await unknown.json()).toEqual(await mistaken.json());
    const ok = await http.post('/auth/verify-email', { email, code: fresh.code });
    expect(ok.status).toBe(200);
    expect(await verifiedAt(email)).not.toBeNull();
    const already = await http.post('/auth/resend-verification-email', undefined, bearer(session));
    expect(await already.json()).toMatchObject({ email_verified: true });
  });

  it('expires verification after 24 hours and needs a session to resend', async () => {
    const email = 'verify.late@example.com';
    const { token } = await register(auth, smtp, email);
    clock.advance(24 * 3600_000 + 1_000);
    expect((await http.post('/auth/verify-email', { token })).status).toBe(400);
    expect((await http.post('/auth/resend-verification-email')).status).toBe(401);
  });
});

describe('email change', () => {
  it('confirms on the new address, notifies the old one, and moves sign-in to the new email', async () => {
    const email = 'change.from@example.com';
    const next = 'change.to@example.com';
    await register(auth, smtp, email);
    const session = String((await login(auth, email, STRONG)).body.session_token);

    const noPassword = await http.post('/auth/change-email', { new_email: next }, bearer(session));
    expect(noPassword.status).toBe(403);
    const before = smtp.messages.length;
    const requested = await http.post('/auth/change-email', { new_email: 'Change.To@Example.com', password: STRONG }, bearer(session));
    expect(requested.status).toBe(200);
    await mailAfter(smtp, before, email, /being changed/);
    const token = tokenFromMail((await mailAfter(smtp, before, next, /Confirm your new/)).text);
    expect(token).toMatch(/^eml_/);
    // Nothing changes before confirmation.
    expect((await login(auth, email, STRONG)).status).toBe(200);

    const confirmed = await http.post('/auth/confirm-email-change', { token });
    expect(confirmed.status).toBe(200);
    expect(await confirmed.json()).toMatchObject({ email: next, email_verified: true });
    await mailAfter(smtp, before, email, /was changed/);
    expect((await login(auth, next, STRONG)).status).toBe(200);
    expect((await login(auth, email, STRONG)).status).toBe(401);
    expect((await http.post('/auth/confirm-email-change', { token })).status).toBe(400);
    const outbox = await rows(auth, sql`select payload from outbox where topic = 'user.updated' and payload->>'email' = ${next}`);
    expect(outbox).toHaveLength(1);
    const audit = await rows(auth, sql`select type from audit_events where type in ('email.change_requested', 'email.changed') and outcome = 'success'`);
    expect(audit).toHaveLength(2);
  });

  it('refuses to confirm onto an address another account took meanwhile', async () => {
    const email = 'race.from@example.com';
    const target = 'race.target@example.com';
    await register(auth, smtp, email);
    const session = String((await login(auth, email, STRONG)).body.session_token);
    const before = smtp.messages.length;
    // The answer does not say whether the address is free.
    expect((await http.post('/auth/change-email', { new_email: target, password: STRONG }, bearer(session))).status).toBe(200);
    const token = tokenFromMail((await mailAfter(smtp, before, target, /Confirm your new/)).text);
    await register(auth, smtp, target);
    const conflict = await http.post('/auth/confirm-email-change', { token });
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toMatchObject({ code: 'auth:email_taken' });
    expect((await login(auth, email, STRONG)).status).toBe(200);
  });

  it('rejects bad input on every account endpoint with a 4xx and changes nothing', async () => {
    const email = 'account.bad@example.com';
    await register(auth, smtp, email);
    const session = String((await login(auth, email, STRONG)).body.session_token);
    const identitiesBefore = JSON.stringify(await rows(auth, sql`select id, email, email_verified_at from identities order by id`));
    const tokensBefore = Number((await rows(auth, sql`select count(*)::int as n from account_tokens`))[0]!.n);
    const cases: [string, unknown][] = [
      ['/auth/verify-email', '{"token":'],
      ['/auth/verify-email', { token: 42 }],
      ['/auth/verify-email', { email, code: '12345' }],
      ['/auth/verify-email', { email, code: '１２３４５６' }],
      ['/auth/verify-email', { token: 'x'.repeat(5000) }],
      ['/auth/verify-email', { token: 'vfy_not-a-real-token' }],
      ['/auth/change-email', { new_email: 'ünï@exämple.com', password: STRONG }],
      ['/auth/change-email', { new_email: email, password: STRONG }],
      ['/auth/change-email', { new_email: 'zero\u200Bwidth@example.com', password: STRONG }],
      ['/auth/change-email', { new_email: ['a@example.com'], password: STRONG }],
      ['/auth/change-email', '[1,2]'],
      ['/auth/confirm-email-change', { token: null }],
      ['/auth/confirm-email-change', { token: 'eml_short' }],
      ['/auth/confirm-email-change', '{{'],
    ];
    for (const [path, body] of cases) {
      const response = await http.post(path, body, bearer(session));
      expect(response.status, `${path} ${JSON.stringify(body)}`).toBeGreaterThanOrEqual(400);
      expect(response.status, `${path} ${JSON.stringify(body)}`).toBeLessThan(500);
    }
    expect((await http.get('/auth/verify-email')).status).toBe(400);
    expect((await http.get('/auth/verify-email?token=a&token=b')).status).toBe(400);
    expect(JSON.stringify(await rows(auth, sql`select id, email, email_verified_at from identities order by id`))).toBe(identitiesBefore);
    expect(Number((await rows(auth, sql`select count(*)::int as n from account_tokens`))[0]!.n)).toBe(tokensBefore);
  });
});
