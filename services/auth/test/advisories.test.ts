import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { devSmsAddress } from '../src/features/mfa/sms';
import {
  STRONG,
  STRONGER,
  bearer,
  createTestClock,
  enrollTotp,
  login,
  mailAfter,
  registerUser,
  requestCode,
  signedInUser,
  startAuthForFile,
  startMfaChallenge,
  tokenFromMail,
  wrongCodeFor,
  type HttpAnswer,
} from './support';

/**
 * Classes of attack that hit peers in 2024-2026, each adapted to auth's endpoints. Rate limits
 * are off here (the harness default): every limit below is the flow's own, as it must be.
 */
const clock = createTestClock();
const { auth, api } = startAuthForFile({ clock });

let next = 0;
const uniqueEmail = (label: string) => `${label}.${next++}@example.com`;
const count = async (table: 'sessions' | 'refresh_tokens') => Number((await auth.rows(sql`select count(*)::int as n from ${sql.identifier(table)}`))[0]!.n);

/** A verified password account with TOTP: its email, authenticator and backup codes. */
async function accountWithTotp(label: string) {
  const email = uniqueEmail(label);
  const { token } = await registerUser(api, auth.mail, email, STRONG);
  expect((await api.post('/auth/verify-email', { token, password: STRONG })).status).toBe(200);
  const session = String((await login(auth, email, STRONG)).body.session_token);
  const { app, backupCodes } = await enrollTotp(api, bearer(session), clock);
  clock.advance(30_000);
  return { email, app, backupCodes, headers: bearer(session) };
}

describe('better-auth GHSA-xg6x-h9c9-2m83: no usable session before the second factor completes', () => {
  it('an mfa_required answer (password, email code) sets no cookie, carries no session or refresh token, stores none, and its mfa_token opens nothing', async () => {
    const { email } = await accountWithTotp('ghsa.first-factor');
    const code = await requestCode(api, auth.mail, email);
    const before = { sessions: await count('sessions'), refresh: await count('refresh_tokens') };
    const answers: HttpAnswer[] = [await login(auth, email, STRONG), await api.post('/auth/email/login/finish', { email, code })];
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(Object.keys(answer.body).sort()).toEqual(['mfa_methods', 'mfa_required', 'mfa_token']);
      expect(answer.headers.get('set-cookie')).toBeNull();
      const mfaToken = String(answer.body.mfa_token);
      expect((await api.get('/me', bearer(mfaToken))).status).toBe(401);
      expect((await api.get('/me', { cookie: `session_token=${mfaToken}` })).status).toBe(401);
      expect((await api.get('/auth/validate', { cookie: `session_token=${mfaToken}` })).status).toBe(401);
      expect((await api.post('/validate-token', undefined, bearer(mfaToken))).status).toBe(401);
      expect((await api.post('/auth/refresh', { refresh_token: mfaToken })).status).toBe(401);
      expect((await api.post('/auth/refresh', undefined, bearer(mfaToken))).status).toBe(401);
    }
    expect({ sessions: await count('sessions'), refresh: await count('refresh_tokens') }).toEqual(before);
  });
});

describe('Keycloak CVE-2026-18963: a password reset cannot skip the emailed token', () => {
  it('without the live reset token of that account (none, another account\'s, another purpose\'s, a superseded or a spent one), nothing changes', async () => {
    const victim = uniqueEmail('reset.victim');
    const attacker = uniqueEmail('reset.attacker');
    const victimMail = await registerUser(api, auth.mail, victim, STRONG);
    await registerUser(api, auth.mail, attacker, STRONG);
    const resetLink = async (email: string) => {
      const before = await auth.mailCount();
      expect((await api.post('/auth/forgot-password', { email })).status).toBe(200);
      return tokenFromMail((await mailAfter(auth.mail, before, email, /Reset your/)).text);
    };
    const superseded = await resetLink(victim);
    await resetLink(victim);
    const attackersOwn = await resetLink(attacker);
    expect((await api.post('/auth/reset-password', { token: attackersOwn, password: 'attacker-chosen-pass-99' })).status).toBe(200);
    const sessionsBefore = await count('sessions');
    const attempts: unknown[] = [
      { password: STRONGER },
      { token: '', password: STRONGER },
      { token: attackersOwn, password: STRONGER },
      { token: superseded, password: STRONGER },
      { token: victimMail.token, password: STRONGER },
      { token: `rst_${'A'.repeat(43)}`, password: STRONGER },
      { token: victimMail.code, password: STRONGER },
    ];
    for (const body of attempts) {
      const answer = await api.post('/auth/reset-password', body);
      expect(answer.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(answer.status, JSON.stringify(body)).toBeLessThan(500);
      expect(answer.body).toMatchObject({ status: answer.status, code: expect.any(String) });
    }
    expect((await login(auth, victim, STRONGER)).status).toBe(401);
    expect((await login(auth, victim, STRONG)).status).toBe(200);
    expect(await count('sessions')).toBe(sessionsBefore + 1);
    // The reset itself signs nobody in: only the mailbox's token, then a sign-in, does.
    expect((await auth.rows(sql`select email_verified_at from identities where email = ${victim}`))[0]).toEqual({ email_verified_at: null });
  });
});

describe('Zitadel CVE-2025-64102: codes cannot be brute-forced with rate limits off', () => {
  it('holds with rate limits off', () => {
    expect(auth.config.rateLimits.enabled).toBe(false);
  });

  /** Each guessable code: how to get a fresh one, guess it, and answer it right. */
  const guessable: Record<string, () => Promise<{ guess: (code: string) => Promise<HttpAnswer>; right: () => string }>> = {
    async 'an emailed sign-in code'() {
      const email = uniqueEmail('brute.otp');
      const code = await requestCode(api, auth.mail, email);
      return { guess: (value) => api.post('/auth/email/login/finish', { email, code: value }), right: () => code };
    },
    async 'the email verification code'() {
      const email = uniqueEmail('brute.verify');
      const { code } = await registerUser(api, auth.mail, email, STRONG);
      return { guess: (value) => api.post('/auth/verify-email', { email, code: value }), right: () => code };
    },
    async 'a TOTP answer to a sign-in challenge'() {
      const { user, headers } = await signedInUser(auth, uniqueEmail('brute.totp'));
      const { app } = await enrollTotp(api, headers, clock);
      const challenge = await startMfaChallenge(auth.completeSignIn, user);
      clock.advance(30_000);
      return { guess: (value) => api.post('/auth/mfa/verify', { mfa_token: challenge.mfaToken, code: value, method: 'totp' }), right: () => app.code() };
    },
    async 'an SMS answer to a sign-in challenge'() {
      const phone = `+1555${String(2_000_000 + next++).slice(1)}`;
      const { user, headers } = await signedInUser(auth, uniqueEmail('brute.sms'));
      let before = await auth.mailCount();
      expect((await api.post('/auth/mfa/sms/enroll', { phone }, headers)).status).toBe(200);
      const enrolment = await auth.mail.waitForMail(devSmsAddress(phone), (m) => auth.mail.messages.indexOf(m) >= before);
      expect((await api.post('/auth/mfa/sms/confirm', { code: /\b(\d{6})\b/.exec(enrolment.text)![1] }, headers)).status).toBe(200);
      const challenge = await startMfaChallenge(auth.completeSignIn, user);
      before = await auth.mailCount();
      expect((await api.post('/auth/mfa/verify', { mfa_token: challenge.mfaToken, method: 'sms' })).status).toBe(202);
      const text = await auth.mail.waitForMail(devSmsAddress(phone), (m) => auth.mail.messages.indexOf(m) >= before);
      const code = /\b(\d{6})\b/.exec(text.text)![1]!;
      return { guess: (value) => api.post('/auth/mfa/verify', { mfa_token: challenge.mfaToken, code: value, method: 'sms' }), right: () => code };
    },
  };

  it.each(Object.keys(guessable))('%s: twelve parallel wrong guesses, then the right code: nothing signs in or verifies', async (kind) => {
    const target = await guessable[kind]!();
    const wrong = wrongCodeFor(target.right());
    const answers = await Promise.all(Array.from({ length: 12 }, () => target.guess(wrong)));
    for (const answer of answers) {
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
    }
    const right = await target.guess(target.right());
    expect(right.status, JSON.stringify(right.body)).toBeGreaterThanOrEqual(400);
    expect(right.body).not.toHaveProperty('session_token');
  });
});

describe('a second factor is checked against its own account, never another user\'s', () => {
  it('refuses one user\'s TOTP code and backup code on another user\'s challenge and step-up', async () => {
    const alice = await accountWithTotp('cross.alice');
    const bob = await accountWithTotp('cross.bob');
    const aliceUser = { id: String((await auth.rows(sql`select id from identities where email = ${alice.email}`))[0]!.id), email: alice.email };
    const challenge = await startMfaChallenge(auth.completeSignIn, aliceUser);
    clock.advance(30_000);
    const refusedTotp = await api.post('/auth/mfa/verify', { mfa_token: challenge.mfaToken, code: bob.app.code(), method: 'totp' });
    expect(refusedTotp.body).toMatchObject({ status: 401, code: 'mfa:invalid_code' });
    const refusedBackup = await api.post('/auth/mfa/backup', { mfa_token: challenge.mfaToken, code: bob.backupCodes[0] });
    expect(refusedBackup.body).toMatchObject({ status: 401, code: 'mfa:invalid_code' });
    expect((await api.post('/auth/mfa/step-up', { code: bob.app.code(), method: 'totp' }, alice.headers)).body).toMatchObject({ code: 'mfa:code_rejected' });
    expect((await api.post('/auth/mfa/disable', { code: bob.backupCodes[1], method: 'backup_code' }, alice.headers)).body).toMatchObject({ code: 'mfa:code_rejected' });
    // Bob's backup codes are untouched, and Alice's own code still works.
    expect(await auth.rows(sql`select id from mfa_backup_codes where used_at is not null and user_id = (select id from identities where email = ${bob.email})`)).toEqual([]);
    expect((await api.post('/auth/mfa/verify', { mfa_token: challenge.mfaToken, code: alice.app.code(), method: 'totp' })).status).toBe(200);
  });
});

describe('a password reset ends sign-ins waiting on a second factor', () => {
  it('a challenge started with the old password cannot be answered once the password was reset', async () => {
    const account = await accountWithTotp('reset.challenge');
    const pending = await login(auth, account.email, STRONG);
    expect(pending.body).toMatchObject({ mfa_required: true });
    const before = await auth.mailCount();
    expect((await api.post('/auth/forgot-password', { email: account.email })).status).toBe(200);
    const token = tokenFromMail((await mailAfter(auth.mail, before, account.email, /Reset your/)).text);
    expect((await api.post('/auth/reset-password', { token, password: STRONGER })).status).toBe(200);
    clock.advance(30_000);
    expect((await api.post('/auth/mfa/verify', { mfa_token: pending.body.mfa_token, code: account.app.code() })).body).toMatchObject({
      status: 401,
      code: 'mfa:challenge_invalid',
    });
    // The reset did not switch MFA off: the new password still needs the second factor.
    expect((await login(auth, account.email, STRONGER)).body).toMatchObject({ mfa_required: true });
  });
});
