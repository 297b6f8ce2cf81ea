import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { devSmsAddress } from '../src/features/mfa/sms';
import { STRONG, bearer, createTestClock, login, registerUser, requestCode, signedInUser, startAuthForFile } from './support';

/**
 * `GET /auth/phone/check` (seed 000) answers whether a number is listed on an account. A number
 * is listed only when its holder proved it by the texted code of SMS enrolment AND asked for it
 * (`list_phone: true`): never silently from MFA. The last account to prove a number holds its
 * listing (numbers are recycled); it goes with the factor, on request, and when the owner of the
 * mailbox evicts an unproven holder.
 */
const clock = createTestClock();
const { auth, api } = startAuthForFile({ clock });

const listed = async (phone: string) => (await api.get(`/auth/phone/check?phone=${encodeURIComponent(phone)}`)).body;
const phoneOf = async (email: string) => (await auth.rows(sql`select phone from identities where email = ${email}`))[0]?.phone ?? null;

/** Enrols `phone` for SMS, reading the texted code out of the mail catcher (the dev provider); confirms with `extra`. */
async function enrollSms(headers: Record<string, string>, phone: string, extra: Record<string, unknown> = {}) {
  const before = await auth.mailCount();
  expect((await api.post('/auth/mfa/sms/enroll', { phone }, headers)).status).toBe(200);
  const message = await auth.mail.waitForMail(devSmsAddress(phone), (m) => auth.mail.messages.indexOf(m) >= before);
  const code = /\b(\d{6})\b/.exec(message.text)![1]!;
  return api.post('/auth/mfa/sms/confirm', { code, ...extra }, headers);
}

describe('GET /auth/phone/check answers true only for a number proven and listed by its holder', () => {
  it('an SMS factor alone does not list its number: the check stays false', async () => {
    const { headers } = await signedInUser(auth, 'phone.silent@example.com');
    const confirmed = await enrollSms(headers, '+15557770001');
    expect(confirmed.body).toMatchObject({ enabled: true, method: 'sms', phone_listed: false });
    expect(await listed('+15557770001')).toEqual({ exists: false });
    expect(await phoneOf('phone.silent@example.com')).toBeNull();
  });

  it('list_phone: true at confirmation lists it (the check answers true, with the curl-style unencoded +); DELETE /auth/phone takes it off', async () => {
    const { headers } = await signedInUser(auth, 'phone.listed@example.com');
    expect(await listed('+15557770002')).toEqual({ exists: false });
    const confirmed = await enrollSms(headers, '+15557770002', { list_phone: true });
    expect(confirmed.body).toMatchObject({ enabled: true, method: 'sms', phone_listed: true });
    expect(await listed('+15557770002')).toEqual({ exists: true });
    expect((await api.get('/auth/phone/check?phone=+15557770002')).body).toEqual({ exists: true });
    expect(await listed('+15557770003')).toEqual({ exists: false });

    const removed = await api.del('/auth/phone', headers);
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual({ phone_listed: false });
    expect(await listed('+15557770002')).toEqual({ exists: false });
    // The factor stays: only the listing went.
    expect((await api.get('/auth/mfa/status', headers)).body).toMatchObject({ sms: { enabled: true } });
    expect((await api.del('/auth/phone', {})).status).toBe(401);
  });

  it('a wrong code lists nothing', async () => {
    const { headers } = await signedInUser(auth, 'phone.wrong@example.com');
    expect((await api.post('/auth/mfa/sms/enroll', { phone: '+15557770004' }, headers)).status).toBe(200);
    const refused = await api.post('/auth/mfa/sms/confirm', { code: '000000', list_phone: true }, headers);
    // (A real code of 000000 is one in a million; the answer would then be 200 and this fails loudly.)
    expect(refused.body).toMatchObject({ status: 403, code: 'mfa:code_rejected' });
    expect(await listed('+15557770004')).toEqual({ exists: false });
  });

  it('the last account to prove a number holds its listing (a recycled number moves, it is never listed twice)', async () => {
    const first = await signedInUser(auth, 'phone.before@example.com');
    await enrollSms(first.headers, '+15557770005', { list_phone: true });
    const next = await signedInUser(auth, 'phone.after@example.com');
    expect((await enrollSms(next.headers, '+15557770005', { list_phone: true })).body).toMatchObject({ phone_listed: true });
    expect(await phoneOf('phone.after@example.com')).toBe('+15557770005');
    expect(await phoneOf('phone.before@example.com')).toBeNull();
    expect(await listed('+15557770005')).toEqual({ exists: true });
  });

  it('two accounts proving one number at the same moment: both confirm, exactly one holds the listing', async () => {
    const phone = '+15557770009';
    const pending = [];
    for (const email of ['phone.race1@example.com', 'phone.race2@example.com']) {
      const { headers } = await signedInUser(auth, email);
      const before = await auth.mailCount();
      expect((await api.post('/auth/mfa/sms/enroll', { phone }, headers)).status).toBe(200);
      const message = await auth.mail.waitForMail(devSmsAddress(phone), (m) => auth.mail.messages.indexOf(m) >= before);
      pending.push({ headers, code: /\b(\d{6})\b/.exec(message.text)![1]! });
    }
    const answers = await Promise.all(pending.map(({ headers, code }) => api.post('/auth/mfa/sms/confirm', { code, list_phone: true }, headers)));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    expect(await auth.rows(sql`select email from identities where phone = ${phone}`)).toHaveLength(1);
  });

  it('turning MFA off takes the listing with the factor', async () => {
    const { headers } = await signedInUser(auth, 'phone.disabled@example.com');
    const confirmed = await enrollSms(headers, '+15557770006', { list_phone: true });
    const backupCode = (confirmed.body.backup_codes as string[])[0]!;
    expect((await api.post('/auth/mfa/disable', { code: backupCode, method: 'backup_code' }, headers)).status).toBe(200);
    expect(await listed('+15557770006')).toEqual({ exists: false });
  });

  it("the mailbox owner's first proof removes a number an unproven holder listed on the account", async () => {
    const victim = 'phone.victim@example.com';
    await registerUser(api, auth.mail, victim, STRONG);
    const squatter = bearer(String((await login(auth, victim, STRONG)).body.session_token));
    await enrollSms(squatter, '+15557770007', { list_phone: true });
    expect(await listed('+15557770007')).toEqual({ exists: true });
    const code = await requestCode(api, auth.mail, victim);
    expect((await api.post('/auth/email/login/finish', { email: victim, code })).status).toBe(200);
    expect(await listed('+15557770007')).toEqual({ exists: false });
    expect(await phoneOf(victim)).toBeNull();
  });

  it('refuses list_phone on TOTP confirmation and a non-boolean list_phone (400), listing nothing', async () => {
    const { headers } = await signedInUser(auth, 'phone.bad@example.com');
    expect((await api.post('/auth/mfa/sms/enroll', { phone: '+15557770008' }, headers)).status).toBe(200);
    expect((await api.post('/auth/mfa/sms/confirm', { code: '123456', list_phone: 'yes' }, headers)).body).toMatchObject({ status: 400, code: 'request:invalid' });
    expect((await api.post('/auth/mfa/totp/confirm', { code: '123456', list_phone: true }, headers)).body).toMatchObject({ status: 400 });
    expect(await listed('+15557770008')).toEqual({ exists: false });
  });
});
