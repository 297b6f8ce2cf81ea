import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpCatcher, type SmtpCatcher } from '@malet/testing';
import { startAuthTestInstance, type AuthTestInstance } from './auth-test-instance';
import { STRONG, bearer, httpClient, login, mailAfter, register, rows } from './password-test-helpers';

let smtp: SmtpCatcher;
let auth: AuthTestInstance;
const http = httpClient(() => auth);

beforeAll(async () => {
  smtp = await startSmtpCatcher();
  auth = await startAuthTestInstance({ env: { SMTP_URL: smtp.url } });
});
afterAll(async () => {
  await auth?.stop();
  await smtp?.stop();
});

describe('pre-account takeover: proving the mailbox evicts whoever registered it', () => {
  it('removes the squatter\'s password and sessions when the owner signs in by email code', async () => {
    const victim = 'victim-otp@example.com';
    // The attacker registers the victim's address and signs in (unverified sign-in is allowed).
    await register(auth, smtp, victim, STRONG);
    const squatter = await login(auth, victim, STRONG);
    expect(squatter.status).toBe(200);
    const squatterToken = String(squatter.body.session_token);
    expect((await http.get('/me', bearer(squatterToken))).status).toBe(200);

    // The owner proves control of the mailbox with an emailed code.
    const before = smtp.messages.length;
    expect((await http.post('/auth/email/login/start', { email: victim })).status).toBe(200);
    const mail = await mailAfter(smtp, before, victim, /sign-in code/);
    const code = /\b(\d{6})\b/.exec(mail.text)![1];
    const owner = await http.post('/auth/email/login/finish', { email: victim, code });
    expect(owner.status).toBe(200);
    const ownerToken = ((await owner.json()) as { session_token: string }).session_token;

    expect((await http.get('/me', bearer(squatterToken))).status).toBe(401);
    expect((await login(auth, victim, STRONG)).status).toBe(401);
    expect((await http.get('/me', bearer(ownerToken))).status).toBe(200);
    const audit = await rows(auth, sql`select type, details from audit_events where type = 'account.ownership_proven'`);
    expect(audit).toEqual([{ type: 'account.ownership_proven', details: { passwordRemoved: true, sessionsRevoked: 1 } }]);
  });

  it('leaves a verified account\'s password and sessions alone', async () => {
    const owner = 'owner-verified@example.com';
    const { token } = await register(auth, smtp, owner, STRONG);
    expect((await http.post('/auth/verify-email', { token })).status).toBeLessThan(300);
    const first = await login(auth, owner, STRONG);
    const before = smtp.messages.length;
    await http.post('/auth/email/login/start', { email: owner });
    const mail = await mailAfter(smtp, before, owner, /sign-in code/);
    const code = /\b(\d{6})\b/.exec(mail.text)![1];
    expect((await http.post('/auth/email/login/finish', { email: owner, code })).status).toBe(200);
    expect((await http.get('/me', bearer(String(first.body.session_token)))).status).toBe(200);
    expect((await login(auth, owner, STRONG)).status).toBe(200);
  });
});
