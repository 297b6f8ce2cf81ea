import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { STRONG, bearer, login, registerUser, requestCode, startAuthForFile } from './support';

const { auth, api } = startAuthForFile();

describe('pre-account takeover: proving the mailbox evicts whoever registered it', () => {
  it('removes the squatter\'s password and sessions when the owner signs in by email code', async () => {
    const victim = 'victim-otp@example.com';
    // The attacker registers the victim's address and signs in (unverified sign-in is allowed).
    await registerUser(api, auth.mail, victim, STRONG);
    const squatter = await login(auth, victim, STRONG);
    expect(squatter.status).toBe(200);
    const squatterToken = String(squatter.body.session_token);
    expect((await api.get('/me', bearer(squatterToken))).status).toBe(200);

    // The owner proves control of the mailbox with an emailed code.
    const code = await requestCode(api, auth.mail, victim);
    const owner = await api.post('/auth/email/login/finish', { email: victim, code });
    expect(owner.status).toBe(200);
    const ownerToken = String(owner.body.session_token);

    expect((await api.get('/me', bearer(squatterToken))).status).toBe(401);
    expect((await login(auth, victim, STRONG)).status).toBe(401);
    expect((await api.get('/me', bearer(ownerToken))).status).toBe(200);
    const audit = await auth.rows(sql`select type, details from audit_events where type = 'account.ownership_proven'`);
    expect(audit).toEqual([{ type: 'account.ownership_proven', details: { passwordRemoved: true, sessionsRevoked: 1 } }]);
  });

  it('leaves a verified account\'s password and sessions alone', async () => {
    const owner = 'owner-verified@example.com';
    const { token } = await registerUser(api, auth.mail, owner, STRONG);
    expect((await api.post('/auth/verify-email', { token })).status).toBeLessThan(300);
    const first = await login(auth, owner, STRONG);
    const code = await requestCode(api, auth.mail, owner);
    expect((await api.post('/auth/email/login/finish', { email: owner, code })).status).toBe(200);
    expect((await api.get('/me', bearer(String(first.body.session_token)))).status).toBe(200);
    expect((await login(auth, owner, STRONG)).status).toBe(200);
  });
});
