import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
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
  requestMagicLink,
  startAuthForFile,
  tokenFromMail,
} from './support';

const clock = createTestClock();
const { auth, api } = startAuthForFile({ clock });

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };

/**
 * Pre-account takeover, played in full: someone registers the victim's address with a password
 * of their choosing and, before the owner ever proves the mailbox, gathers every kind of access
 * the account offers: a session and its refresh token, an authenticator (TOTP) with a sign-in
 * challenge waiting on it, and an email change to their own address, confirmed later.
 */
async function squat(victim: string) {
  const verification = await registerUser(api, auth.mail, victim, STRONG);
  const signedIn = await login(auth, victim, STRONG);
  expect(signedIn.status).toBe(200);
  const session = String(signedIn.body.session_token);
  const refreshToken = String(signedIn.body.refresh_token);
  const { app } = await enrollTotp(api, bearer(session), clock);
  const takeoverAddress = `squatter.${victim}`;
  const before = await auth.mailCount();
  expect((await api.post('/auth/change-email', { new_email: takeoverAddress, password: STRONG }, bearer(session))).status).toBe(200);
  const heldEmailChange = tokenFromMail((await mailAfter(auth.mail, before, takeoverAddress, /Confirm your new/)).text);
  const challenge = await login(auth, victim, STRONG);
  expect(challenge.body).toMatchObject({ mfa_required: true });
  return { verification, session, refreshToken, app, takeoverAddress, heldEmailChange, mfaToken: String(challenge.body.mfa_token) };
}

type Squat = Awaited<ReturnType<typeof squat>>;

/** Everything the squatter gathered is dead, and the account is the mailbox owner's. */
async function expectSquatterEvicted(victim: string, squatter: Squat, options: { ownerPassword?: string } = {}) {
  expect((await api.get('/me', bearer(squatter.session))).status).toBe(401);
  expect((await api.post('/auth/refresh', { refresh_token: squatter.refreshToken })).body).toMatchObject({ code: 'auth:invalid_refresh_token' });
  clock.advance(30_000);
  expect((await api.post('/auth/mfa/verify', { mfa_token: squatter.mfaToken, code: squatter.app.code() })).body).toMatchObject({ code: 'mfa:challenge_invalid' });
  // The held email change, confirmed later, changes nothing.
  expect((await api.post('/auth/confirm-email-change', { token: squatter.heldEmailChange })).body).toMatchObject({ status: 400, code: 'auth:invalid_token' });
  const [identity] = await auth.rows(sql`select id, email, email_verified_at from identities where email = ${victim}`);
  expect(identity).toMatchObject({ email: victim, email_verified_at: expect.anything() });
  expect(await auth.rows(sql`select id from identities where email = ${squatter.takeoverAddress}`)).toEqual([]);
  // The squatter's password and authenticator are gone: the owner signs in without them.
  expect((await login(auth, victim, STRONG)).status).toBe(401);
  expect(await auth.rows(sql`select type from mfa_factors where user_id = ${identity!.id}`)).toEqual([]);
  expect(await auth.rows(sql`select id from mfa_backup_codes where user_id = ${identity!.id}`)).toEqual([]);
  const code = await requestCode(api, auth.mail, victim);
  const owner = await api.post('/auth/email/login/finish', { email: victim, code });
  expect(owner.body).toMatchObject({ session_token: expect.stringMatching(/^sess_/) });
  if (options.ownerPassword) expect((await login(auth, victim, options.ownerPassword)).status).toBe(200);
}

/** Each way the owner can first prove the mailbox. */
const proofs: Record<string, (victim: string, squatter: Squat) => Promise<{ ownerPassword?: string }>> = {
  async 'an emailed sign-in code'(victim) {
    const code = await requestCode(api, auth.mail, victim);
    expect((await api.post('/auth/email/login/finish', { email: victim, code })).status).toBe(200);
    return {};
  },
  async 'a magic link'(victim) {
    const { token } = await requestMagicLink(api, auth.mail, victim);
    expect((await api.post('/auth/magic-link/verify', { token })).status).toBe(200);
    return {};
  },
  async 'the verification link, opened in a browser (its page posts back)'(_victim, squatter) {
    const page = await api.get(`/auth/verify-email?token=${encodeURIComponent(squatter.verification.token)}`);
    expect(page.headers.get('content-type')).toMatch(/html/);
    const posted = await api.post('/auth/verify-email', form({ token: squatter.verification.token }), { ...formHeaders, origin: auth.config.publicUrl });
    expect(posted.status).toBe(200);
    return {};
  },
  async 'the verification code'(victim, squatter) {
    expect((await api.post('/auth/verify-email', { email: victim, code: squatter.verification.code })).status).toBe(200);
    return {};
  },
  async 'a password reset link'(victim) {
    const before = await auth.mailCount();
    expect((await api.post('/auth/forgot-password', { email: victim })).status).toBe(200);
    const token = tokenFromMail((await mailAfter(auth.mail, before, victim, /Reset your/)).text);
    expect((await api.post('/auth/reset-password', { token, password: STRONGER })).status).toBe(200);
    return { ownerPassword: STRONGER };
  },
};

describe('pre-account takeover: the first proof of the mailbox retires everything the unproven holder had', () => {
  it.each(Object.keys(proofs))('by %s: password, sessions, refresh tokens, MFA factors and challenges, and the held email change', async (proof) => {
    const victim = `victim.${Object.keys(proofs).indexOf(proof)}@example.com`;
    const squatter = await squat(victim);
    const { ownerPassword } = await proofs[proof]!(victim, squatter);
    await expectSquatterEvicted(victim, squatter, { ownerPassword });
    const [audit] = await auth.rows(
      sql`select details from audit_events where type = 'account.ownership_proven' and user_id = (select id from identities where email = ${victim})`,
    );
    expect(audit!.details).toMatchObject({ sessionsRevoked: 1, mfaFactorsRemoved: 1, accountTokensRetired: expect.any(Number) });
  });

  it('a mail scanner fetching the verification link (GET) verifies nothing and spends nothing: the later owner still evicts the squatter', async () => {
    const victim = 'victim.scanned@example.com';
    const squatter = await squat(victim);
    const scanned = await api.get(`/auth/verify-email?token=${encodeURIComponent(squatter.verification.token)}`);
    expect(scanned.status).toBe(200);
    expect((await auth.rows(sql`select email_verified_at from identities where email = ${victim}`))[0]).toEqual({ email_verified_at: null });
    expect((await api.get('/me', bearer(squatter.session))).status).toBe(200);
    const code = await requestCode(api, auth.mail, victim);
    expect((await api.post('/auth/email/login/finish', { email: victim, code })).status).toBe(200);
    await expectSquatterEvicted(victim, squatter);
  });

  it('the registrant who verifies with their own password keeps it and their session: they are the proven holder', async () => {
    const email = 'owner.keeps@example.com';
    const { token } = await registerUser(api, auth.mail, email, STRONG);
    const session = String((await login(auth, email, STRONG)).body.session_token);
    expect((await api.post('/auth/verify-email', { token, password: STRONG })).status).toBe(200);
    expect((await api.get('/me', bearer(session))).body).toMatchObject({ email_verified: true });
    expect((await login(auth, email, STRONG)).status).toBe(200);
    const proven = await auth.rows(sql`select id from audit_events where type = 'account.ownership_proven' and user_id = (select id from identities where email = ${email})`);
    expect(proven).toEqual([]);
  });

  it('a wrong password at verification is refused (403) and leaves the link usable', async () => {
    const email = 'owner.typo@example.com';
    const { token } = await registerUser(api, auth.mail, email, STRONG);
    expect((await api.post('/auth/verify-email', { token, password: STRONGER })).body).toMatchObject({ status: 403, code: 'auth:wrong_password' });
    expect((await auth.rows(sql`select email_verified_at from identities where email = ${email}`))[0]).toEqual({ email_verified_at: null });
    expect((await api.post('/auth/verify-email', { token, password: STRONG })).status).toBe(200);
  });

  it('leaves a verified account alone when its owner signs in by email code', async () => {
    const owner = 'owner-verified@example.com';
    const { token } = await registerUser(api, auth.mail, owner, STRONG);
    expect((await api.post('/auth/verify-email', { token, password: STRONG })).status).toBe(200);
    const first = await login(auth, owner, STRONG);
    const code = await requestCode(api, auth.mail, owner);
    expect((await api.post('/auth/email/login/finish', { email: owner, code })).status).toBe(200);
    expect((await api.get('/me', bearer(String(first.body.session_token)))).status).toBe(200);
    expect((await login(auth, owner, STRONG)).status).toBe(200);
  });
});
