import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  STRONG,
  STRONGER,
  bearer,
  createTestClock,
  enrollTotp,
  login,
  registerUser,
  requestCode,
  signedInUser,
  startAuthForFile,
  startMfaChallenge,
  type HttpAnswer,
} from './support';

const clock = createTestClock();
const { auth, api } = startAuthForFile({ clock });
const RECENT_MS = 600_000;

let next = 0;
const uniqueEmail = (label: string) => `${label}.${next++}@example.com`;

/** A password account signed in now: its session token and headers. */
async function passwordAccount(label: string) {
  const email = uniqueEmail(label);
  const { token } = await registerUser(api, auth.mail, email, STRONG);
  expect((await api.post('/auth/verify-email', { token, password: STRONG })).status).toBe(200);
  const session = String((await login(auth, email, STRONG)).body.session_token);
  return { email, session, headers: bearer(session) };
}

/** The changes that need a recent sign-in, each as the signed-in user would ask for it. */
const sensitiveChanges: Record<string, (headers: Record<string, string>) => Promise<HttpAnswer>> = {
  'POST /auth/change-email': (headers) => api.post('/auth/change-email', { new_email: uniqueEmail('moved'), password: STRONG }, headers),
  'POST /auth/change-password': (headers) => api.post('/auth/change-password', { current_password: STRONG, new_password: STRONGER }, headers),
  'POST /auth/mfa/totp/enroll': (headers) => api.post('/auth/mfa/totp/enroll', undefined, headers),
  'POST /auth/mfa/sms/enroll': (headers) => api.post('/auth/mfa/sms/enroll', { phone: `+1555${String(1_000_000 + next++).slice(1)}` }, headers),
};

describe('changes that need a recent sign-in (RECENT_SIGN_IN_SECONDS, 600 by default)', () => {
  it.each(Object.keys(sensitiveChanges))('%s works 600 s after signing in, and is refused 1 ms later until the holder proves it is them', async (change) => {
    const inTime = await passwordAccount('recent.in-time');
    const stale = await passwordAccount('recent.stale');
    clock.advance(RECENT_MS);
    expect((await sensitiveChanges[change]!(inTime.headers)).status).toBeLessThan(300);
    clock.advance(1);
    const refused = await sensitiveChanges[change]!(stale.headers);
    expect(refused.body).toMatchObject({ status: 403, code: 'auth:reauthentication_required' });
    // Re-authenticating with the password opens it for this session.
    expect((await api.post('/auth/reauthenticate', { password: STRONG }, stale.headers)).body).toEqual({ reauthenticated: true });
    expect((await sensitiveChanges[change]!(stale.headers)).status).toBeLessThan(300);
  });

  it('a wrong password does not re-authenticate (and counts towards the lockout)', async () => {
    const account = await passwordAccount('recent.wrong');
    clock.advance(RECENT_MS + 1);
    expect((await api.post('/auth/reauthenticate', { password: STRONGER }, account.headers)).body).toMatchObject({ status: 403, code: 'auth:wrong_password' });
    expect((await sensitiveChanges['POST /auth/mfa/totp/enroll']!(account.headers)).body).toMatchObject({ code: 'auth:reauthentication_required' });
    const failures = await auth.rows(sql`select failures from password_failures`);
    expect(failures.length).toBeGreaterThan(0);
  });

  it('a current second factor re-authenticates too (POST /auth/mfa/step-up), a wrong code does not', async () => {
    const { headers } = await signedInUser(auth, uniqueEmail('recent.step-up'));
    const { app } = await enrollTotp(api, headers, clock);
    clock.advance(RECENT_MS + 30_000);
    const change = () => api.post('/auth/change-email', { new_email: uniqueEmail('stepped') }, headers);
    expect((await change()).body).toMatchObject({ code: 'auth:reauthentication_required' });
    const wrong = String((Number(app.code()) + 1) % 1_000_000).padStart(6, '0');
    expect((await api.post('/auth/mfa/step-up', { code: wrong, method: 'totp' }, headers)).body).toMatchObject({ status: 403, code: 'mfa:code_rejected' });
    expect((await change()).status).toBe(403);
    expect((await api.post('/auth/mfa/step-up', { code: app.code(), method: 'totp' }, headers)).body).toEqual({ reauthenticated: true, method: 'totp' });
    expect((await change()).status).toBe(200);
  });

  it('an account without a password or second factor is told to sign in again, and a fresh sign-in can', async () => {
    const { user, headers } = await signedInUser(auth, uniqueEmail('recent.passwordless'));
    clock.advance(RECENT_MS + 1);
    expect((await api.post('/auth/change-email', { new_email: uniqueEmail('nowhere') }, headers)).body).toMatchObject({ code: 'auth:reauthentication_required' });
    expect((await api.post('/auth/reauthenticate', { password: STRONG }, headers)).body).toMatchObject({ status: 409, code: 'auth:no_password' });
    const code = await requestCode(api, auth.mail, user.email);
    const fresh = await api.post('/auth/email/login/finish', { email: user.email, code });
    expect((await api.post('/auth/change-email', { new_email: uniqueEmail('somewhere') }, bearer(String(fresh.body.session_token)))).status).toBe(200);
  });
});

describe('TOTP step-up answers are counted atomically, even with rate limits off (Zitadel CVE-2025-64102 class)', () => {
  it('eight parallel wrong codes count as exactly five; then even the right code is refused until a sign-in passes the authenticator', async () => {
    const { user, headers } = await signedInUser(auth, uniqueEmail('step-up.brute'));
    expect(auth.config.rateLimits.enabled).toBe(false);
    const { app } = await enrollTotp(api, headers, clock);
    clock.advance(30_000);
    const wrong = String((Number(app.code()) + 500_000) % 1_000_000).padStart(6, '0');
    const answers = await Promise.all(Array.from({ length: 8 }, () => api.post('/auth/mfa/step-up', { code: wrong, method: 'totp' }, headers)));
    const codes = answers.map((answer) => answer.body.code).sort();
    expect(codes.filter((code) => code === 'mfa:code_rejected')).toHaveLength(5);
    expect(codes.filter((code) => code === 'mfa:step_up_locked')).toHaveLength(3);
    expect((await api.post('/auth/mfa/step-up', { code: app.code(), method: 'totp' }, headers)).body).toMatchObject({ code: 'mfa:step_up_locked' });
    // Disabling MFA with the authenticator is the same step-up, and locked the same way.
    expect((await api.post('/auth/mfa/disable', { code: app.code(), method: 'totp' }, headers)).body).toMatchObject({ code: 'mfa:step_up_locked' });

    // A sign-in that passes the authenticator unlocks it.
    const challenge = await startMfaChallenge(auth.completeSignIn, user);
    clock.advance(30_000);
    const signIn = await api.post('/auth/mfa/verify', { mfa_token: challenge.mfaToken, code: app.code(), method: 'totp' });
    expect(signIn.status).toBe(200);
    clock.advance(30_000);
    expect((await api.post('/auth/mfa/step-up', { code: app.code(), method: 'totp' }, headers)).status).toBe(200);
  });
});

describe('enrolling a second factor ends the sessions that never passed one', () => {
  it('signs out the other sessions without a second factor and their refresh tokens; the enrolling session stays', async () => {
    const account = await passwordAccount('enrol.ends');
    const other = await login(auth, account.email, STRONG);
    const otherSession = String(other.body.session_token);
    const confirmed = await enrollTotp(api, account.headers, clock);
    expect(confirmed.backupCodes).toHaveLength(10);
    expect((await api.get('/me', bearer(otherSession))).status).toBe(401);
    expect((await api.post('/auth/refresh', { refresh_token: other.body.refresh_token })).body).toMatchObject({ code: 'auth:invalid_refresh_token' });
    expect((await api.get('/me', account.headers)).status).toBe(200);
  });

  it('keeps sessions that passed a second factor when another one is added, and says how many ended', async () => {
    const { user, headers } = await signedInUser(auth, uniqueEmail('enrol.keeps'));
    const { app } = await enrollTotp(api, headers, clock);
    const challenge = await startMfaChallenge(auth.completeSignIn, user);
    clock.advance(30_000);
    const withMfa = String((await api.post('/auth/mfa/verify', { mfa_token: challenge.mfaToken, code: app.code() })).body.session_token);
    const withoutMfa = (await signedInUser(auth, user.email)).headers;
    const phone = '+15557770001';
    const before = await auth.mailCount();
    expect((await api.post('/auth/mfa/sms/enroll', { phone }, headers)).status).toBe(200);
    const text = await auth.mail.waitForMail(`sms+15557770001@sms.malet.localhost`, (m) => auth.mail.messages.indexOf(m) >= before);
    const confirm = await api.post('/auth/mfa/sms/confirm', { code: /\b(\d{6})\b/.exec(text.text)![1] }, headers);
    expect(confirm.body).toMatchObject({ enabled: true, method: 'sms', revoked_sessions: 1 });
    expect((await api.get('/me', bearer(withMfa))).status).toBe(200);
    expect((await api.get('/me', withoutMfa)).status).toBe(401);
    expect((await api.get('/me', headers)).status).toBe(200);
  });
});
