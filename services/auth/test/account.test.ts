import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { STRONG, bearer, createTestClock, login, mailAfter, readVerification, registerUser, startAuthForFile, tokenFromMail, wrongCodeFor } from './support';

const clock = createTestClock();
const { auth, api } = startAuthForFile({ clock });

const verifiedAt = async (email: string) => (await auth.rows(sql`select email_verified_at from identities where email = ${email}`))[0]?.email_verified_at;
const register = (email: string) => registerUser(api, auth.mail, email);

describe('email verification', () => {
  it('verifies by the token of the emailed link, once; opening the link (GET) only shows the form that posts it', async () => {
    const email = 'verify.link@example.com';
    const { token } = await register(email);
    expect(token).toMatch(/^vfy_/);
    const page = await api.get(`/auth/verify-email?token=${encodeURIComponent(token)}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`name="token" value="${token}"`);
    expect(await verifiedAt(email)).toBeNull();
    const response = await api.post('/auth/verify-email', { token, password: STRONG });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ message: 'Email verified', email, email_verified: true, password_kept: true });
    expect(await verifiedAt(email)).not.toBeNull();
    expect((await api.post('/auth/verify-email', { token })).status).toBe(400);
    expect((await api.get(`/auth/verify-email?token=${encodeURIComponent(token)}`)).status).toBe(400);
    expect((await login(auth, email, STRONG)).body).toMatchObject({ user: { email_verified: true } });
    const stored = await auth.rows(sql`select token_hash, code_hash from account_tokens`);
    expect(JSON.stringify(stored)).not.toContain(token);
  });

  it('verifies by email and 6-digit code, and five wrong codes use up the code (counted atomically)', async () => {
    const email = 'verify.code@example.com';
    const { code } = await register(email);
    const wrong = wrongCodeFor(code);
    const answers = await Promise.all(Array.from({ length: 8 }, () => api.post('/auth/verify-email', { email, code: wrong })));
    expect(answers.every((answer) => answer.status === 400)).toBe(true);
    const [row] = await auth.rows(sql`select attempts from account_tokens t join identities i on i.id = t.user_id where i.email = ${email}`);
    expect(Number(row!.attempts)).toBe(5);
    expect((await api.post('/auth/verify-email', { email, code })).status).toBe(400);
    expect(await verifiedAt(email)).toBeNull();

    // A new email (resend) brings a fresh code; unknown emails answer like wrong codes.
    const session = String((await login(auth, email, STRONG)).body.session_token);
    const before = (await auth.mailCount());
    const resend = await api.post('/auth/resend-verification-email', undefined, bearer(session));
    expect(resend.status).toBe(200);
    const fresh = readVerification((await mailAfter(auth.mail, before, email, /Verify your/)).text);
    const unknown = await api.post('/auth/verify-email', { email: 'verify.nobody@example.com', code: fresh.code });
    const mistaken = await api.post('/auth/verify-email', { email, code: fresh.code === '000000' ? '000001' : '000000' });
    expect(unknown.body).toEqual(mistaken.body);
    expect(unknown.body).toMatchObject({ code: expect.any(String) });
    const ok = await api.post('/auth/verify-email', { email, code: fresh.code, password: STRONG });
    expect(ok.status).toBe(200);
    expect(await verifiedAt(email)).not.toBeNull();
    const already = await api.post('/auth/resend-verification-email', undefined, bearer(session));
    expect(already.body).toMatchObject({ email_verified: true });
  });

  it('expires verification after 24 hours (it works just before, not just after) and needs a session to resend', async () => {
    const { token: inTime } = await register('verify.prompt@example.com');
    const { token } = await register('verify.late@example.com');
    clock.advance(24 * 3600_000 - 1);
    expect((await api.post('/auth/verify-email', { token: inTime })).status).toBe(200);
    expect(await verifiedAt('verify.prompt@example.com')).not.toBeNull();
    clock.advance(2);
    expect((await api.post('/auth/verify-email', { token })).status).toBe(400);
    expect(await verifiedAt('verify.late@example.com')).toBeNull();
    expect((await api.post('/auth/resend-verification-email')).status).toBe(401);
  });
});

describe('email change', () => {
  it('confirms on the new address, notifies the old one, and moves sign-in to the new email', async () => {
    const email = 'change.from@example.com';
    const next = 'change.to@example.com';
    await register(email);
    const session = String((await login(auth, email, STRONG)).body.session_token);

    const noPassword = await api.post('/auth/change-email', { new_email: next }, bearer(session));
    expect(noPassword.status).toBe(403);
    const before = (await auth.mailCount());
    const requested = await api.post('/auth/change-email', { new_email: 'Change.To@Example.com', password: STRONG }, bearer(session));
    expect(requested.status).toBe(200);
    await mailAfter(auth.mail, before, email, /being changed/);
    const token = tokenFromMail((await mailAfter(auth.mail, before, next, /Confirm your new/)).text);
    expect(token).toMatch(/^eml_/);
    // Nothing changes before confirmation.
    expect((await login(auth, email, STRONG)).status).toBe(200);

    const confirmed = await api.post('/auth/confirm-email-change', { token });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ email: next, email_verified: true });
    await mailAfter(auth.mail, before, email, /was changed/);
    expect((await login(auth, next, STRONG)).status).toBe(200);
    expect((await login(auth, email, STRONG)).status).toBe(401);
    expect((await api.post('/auth/confirm-email-change', { token })).status).toBe(400);
    const outbox = await auth.rows(sql`select payload from outbox where topic = 'user.updated' and payload->>'email' = ${next}`);
    expect(outbox).toHaveLength(1);
    const audit = await auth.rows(sql`select type from audit_events where type in ('email.change_requested', 'email.changed') and outcome = 'success'`);
    expect(audit).toHaveLength(2);
  });

  it('signs out every other session when the change is confirmed (the requesting one stays), and mails the old address an undo link that works', async () => {
    const email = 'undo.from@example.com';
    const next = 'undo.to@example.com';
    const { token: verification } = await register(email);
    expect((await api.post('/auth/verify-email', { token: verification, password: STRONG })).status).toBe(200);
    const requester = String((await login(auth, email, STRONG)).body.session_token);
    const other = await login(auth, email, STRONG);
    const before = await auth.mailCount();
    expect((await api.post('/auth/change-email', { new_email: next, password: STRONG }, bearer(requester))).status).toBe(200);
    const token = tokenFromMail((await mailAfter(auth.mail, before, next, /Confirm your new/)).text);
    // The emailed link opens a page; only its form's post confirms.
    const page = await api.get(`/auth/confirm-email-change?token=${encodeURIComponent(token)}`);
    expect(page.headers.get('content-type')).toMatch(/html/);
    expect((await login(auth, email, STRONG)).status).toBe(200);
    expect((await api.post('/auth/confirm-email-change', { token })).body).toMatchObject({ email: next });

    expect((await api.get('/me', bearer(requester))).body).toMatchObject({ email: next });
    expect((await api.get('/me', bearer(String(other.body.session_token)))).status).toBe(401);
    expect((await api.post('/auth/refresh', { refresh_token: other.body.refresh_token })).status).toBe(401);

    const notice = await mailAfter(auth.mail, before, email, /was changed/);
    const undo = tokenFromMail(notice.text);
    expect(undo).toMatch(/^undo_/);
    expect(notice.text).toContain(`${auth.config.publicUrl}/auth/undo-email-change?token=`);
    const undone = await api.post('/auth/undo-email-change', { token: undo });
    expect(undone.body).toMatchObject({ email, email_verified: true });
    // Back on the old address, with everyone signed out, the requester too.
    expect((await api.get('/me', bearer(requester))).status).toBe(401);
    expect((await login(auth, email, STRONG)).status).toBe(200);
    expect((await login(auth, next, STRONG)).status).toBe(401);
    await mailAfter(auth.mail, before, email, /was restored/);
    expect((await api.post('/auth/undo-email-change', { token: undo })).status).toBe(400);
    const audit = await auth.rows(sql`select type from audit_events where type = 'email.change_undone' and outcome = 'success'`);
    expect(audit).toHaveLength(1);
  });

  it('undoes nothing once another account holds the old address, and expires the undo link after 7 days', async () => {
    const changeAndGetUndo = async (email: string, next: string) => {
      await register(email);
      const session = String((await login(auth, email, STRONG)).body.session_token);
      const before = await auth.mailCount();
      expect((await api.post('/auth/change-email', { new_email: next, password: STRONG }, bearer(session))).status).toBe(200);
      const token = tokenFromMail((await mailAfter(auth.mail, before, next, /Confirm your new/)).text);
      expect((await api.post('/auth/confirm-email-change', { token })).status).toBe(200);
      return tokenFromMail((await mailAfter(auth.mail, before, email, /was changed/)).text);
    };
    const taken = await changeAndGetUndo('undo.taken@example.com', 'undo.taken.new@example.com');
    await register('undo.taken@example.com');
    expect((await api.post('/auth/undo-email-change', { token: taken })).body).toMatchObject({ status: 409, code: 'auth:email_taken' });

    const inTime = await changeAndGetUndo('undo.prompt@example.com', 'undo.prompt.new@example.com');
    const late = await changeAndGetUndo('undo.late@example.com', 'undo.late.new@example.com');
    clock.advance(7 * 86_400_000 - 1);
    expect((await api.post('/auth/undo-email-change', { token: inTime })).status).toBe(200);
    clock.advance(2);
    expect((await api.post('/auth/undo-email-change', { token: late })).status).toBe(400);
    expect((await login(auth, 'undo.late.new@example.com', STRONG)).status).toBe(200);
  });

  it('expires an email change after one hour: the link works just before, not just after', async () => {
    const requestChange = async (email: string, next: string) => {
      await register(email);
      const session = String((await login(auth, email, STRONG)).body.session_token);
      const before = (await auth.mailCount());
      expect((await api.post('/auth/change-email', { new_email: next, password: STRONG }, bearer(session))).status).toBe(200);
      return tokenFromMail((await mailAfter(auth.mail, before, next, /Confirm your new/)).text);
    };
    const inTime = await requestChange('change.prompt@example.com', 'change.prompt.new@example.com');
    const late = await requestChange('change.late@example.com', 'change.late.new@example.com');
    clock.advance(3600_000 - 1);
    expect((await api.post('/auth/confirm-email-change', { token: inTime })).status).toBe(200);
    clock.advance(2);
    expect((await api.post('/auth/confirm-email-change', { token: late })).status).toBe(400);
    expect((await login(auth, 'change.prompt.new@example.com', STRONG)).status).toBe(200);
    expect((await login(auth, 'change.late@example.com', STRONG)).status).toBe(200);
    expect((await login(auth, 'change.late.new@example.com', STRONG)).status).toBe(401);
  });

  it('refuses to confirm onto an address another account took meanwhile', async () => {
    const email = 'race.from@example.com';
    const target = 'race.target@example.com';
    await register(email);
    const session = String((await login(auth, email, STRONG)).body.session_token);
    const before = (await auth.mailCount());
    // The answer does not say whether the address is free.
    expect((await api.post('/auth/change-email', { new_email: target, password: STRONG }, bearer(session))).status).toBe(200);
    const token = tokenFromMail((await mailAfter(auth.mail, before, target, /Confirm your new/)).text);
    await register(target);
    const conflict = await api.post('/auth/confirm-email-change', { token });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ code: 'auth:email_taken' });
    expect((await login(auth, email, STRONG)).status).toBe(200);
  });

  it('rejects bad input on every account endpoint with a 4xx and changes nothing', async () => {
    const email = 'account.bad@example.com';
    await register(email);
    const session = String((await login(auth, email, STRONG)).body.session_token);
    const identitiesBefore = JSON.stringify(await auth.rows(sql`select id, email, email_verified_at from identities order by id`));
    const tokensBefore = Number((await auth.rows(sql`select count(*)::int as n from account_tokens`))[0]!.n);
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
      const response = await api.post(path, body, bearer(session));
      expect(response.status, `${path} ${JSON.stringify(body)}`).toBeGreaterThanOrEqual(400);
      expect(response.status, `${path} ${JSON.stringify(body)}`).toBeLessThan(500);
    }
    expect((await api.get('/auth/verify-email')).status).toBe(400);
    expect((await api.get('/auth/verify-email?token=a&token=b')).status).toBe(400);
    expect(JSON.stringify(await auth.rows(sql`select id, email, email_verified_at from identities order by id`))).toBe(identitiesBefore);
    expect(Number((await auth.rows(sql`select count(*)::int as n from account_tokens`))[0]!.n)).toBe(tokensBefore);
  });
});
