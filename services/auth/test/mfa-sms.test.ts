import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { loadAuthConfig } from '../src/config';
import { createTwilioSmsProvider, devSmsAddress } from '../src/features/mfa/sms';
import { authenticatorFrom, createTestClock, signedInUser, startAuth, startAuthForFile, startMfaChallenge, type AuthHarness } from './support';

const clock = createTestClock();
const { auth, api } = startAuthForFile({ clock });

/** Reads the newest SMS to `phone` out of the mail catcher (the dev SMS provider). */
async function smsCodeFor(phone: string, after: number) {
  const message = await auth.mail.waitForMail(devSmsAddress(phone), (m) => auth.mail.messages.indexOf(m) >= after);
  expect(message.subject).toBe(`SMS to ${phone}`);
  const code = /\b(\d{6})\b/.exec(message.text)?.[1];
  expect(code).toBeDefined();
  return code!;
}

async function enrollSms(headers: Record<string, string>, phone: string) {
  const before = (await auth.mailCount());
  const enroll = await api.post('/auth/mfa/sms/enroll', { phone }, headers);
  expect(enroll.status).toBe(200);
  const confirm = await api.post('/auth/mfa/sms/confirm', { code: await smsCodeFor(phone, before) }, headers);
  expect(confirm.status).toBe(200);
  return confirm.body;
}

const mfaCounts = async () =>
  (
    await auth.db.execute(
      sql`select (select count(*) from mfa_factors)::int as factors, (select count(*) from mfa_challenges)::int as challenges, (select count(*) from mfa_backup_codes)::int as codes`,
    )
  ).rows[0];

describe('SMS enrollment through the dev provider and a real SMTP server', () => {
  it('texts a code (read from the mail catcher), confirms it, stores the phone sealed', async () => {
    const { user, headers } = await signedInUser(auth, 'sms-enroll@example.com');
    const phone = '+15551230001';
    const before = (await auth.mailCount());
    const enroll = await api.post('/auth/mfa/sms/enroll', { phone }, headers);
    expect(enroll.status).toBe(200);
    expect(enroll.body).toEqual({ sms_sent: true, phone: '+*******0001', expires_in: 300 });
    const code = await smsCodeFor(phone, before);

    const rows = await auth.db.execute(sql`select * from mfa_factors where user_id = ${user.id}`);
    const stored = JSON.stringify(rows.rows);
    expect(stored).not.toContain('5551230001');
    expect(stored).not.toContain(code);
    expect(String(rows.rows[0]!.phone_ciphertext)).toMatch(/^v1\.k1\./);

    expect((await api.post('/auth/mfa/sms/confirm', { code: code === '000000' ? '111111' : '000000' }, headers)).status).toBe(403);
    const confirm = await api.post('/auth/mfa/sms/confirm', { code }, headers);
    expect(confirm.status).toBe(200);
    expect(confirm.body).toMatchObject({ enabled: true, method: 'sms' });
    expect(confirm.body.backup_codes).toHaveLength(10);
    // Single use: the code is gone once accepted.
    expect((await api.post('/auth/mfa/sms/confirm', { code }, headers)).body).toMatchObject({ status: 409, code: 'mfa:already_enrolled' });
    expect((await api.get('/auth/mfa/status', headers)).body).toMatchObject({
      enabled: true,
      methods: ['sms', 'backup_code'],
      sms: { enabled: true, pending: false, phone: '+*******0001' },
    });
  });

  it('rejects bad phones and codes with 400 and stores nothing', async () => {
    const { headers } = await signedInUser(auth, 'sms-bad@example.com');
    const before = await mfaCounts();
    for (const body of [{}, { phone: '5551234567' }, { phone: '+0123' }, { phone: 12345 }, { phone: '+1555123000a' }, { phone: '+15551234567', extra: 1 }]) {
      const response = await api.post('/auth/mfa/sms/enroll', body, headers);
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ status: 400, code: 'request:invalid' });
    }
    for (const body of [{}, { code: '12345' }, { code: 'abcdef' }, { code: 123456 }]) {
      expect((await api.post('/auth/mfa/sms/confirm', body, headers)).status).toBe(400);
    }
    expect(await mfaCounts()).toEqual(before);
    expect((await api.post('/auth/mfa/sms/confirm', { code: '123456' }, headers)).body).toMatchObject({ status: 409, code: 'mfa:no_pending_enrollment' });
  });

  it('counts enrollment guesses atomically: 50 parallel wrong codes, five counted, the code is dead', async () => {
    const { user, headers } = await signedInUser(auth, 'sms-parallel@example.com');
    const phone = '+15551230002';
    const before = (await auth.mailCount());
    await api.post('/auth/mfa/sms/enroll', { phone }, headers);
    const code = await smsCodeFor(phone, before);
    const wrong = code === '999999' ? '999998' : '999999';
    const answers = await Promise.all(Array.from({ length: 50 }, () => api.post('/auth/mfa/sms/confirm', { code: wrong }, headers)));
    expect(answers.filter((a) => a.body.code === 'mfa:code_rejected')).toHaveLength(5);
    expect(answers.filter((a) => a.body.code === 'mfa:too_many_attempts')).toHaveLength(45);
    const row = await auth.db.execute(sql`select code_attempts, confirmed_at from mfa_factors where user_id = ${user.id}`);
    expect(row.rows[0]).toEqual({ code_attempts: 5, confirmed_at: null });
    expect((await api.post('/auth/mfa/sms/confirm', { code }, headers)).body).toMatchObject({ code: 'mfa:too_many_attempts' });
  });

  it('expires enrollment codes after five minutes: confirmed just before works, just after does not', async () => {
    const startEnrollment = async (email: string, phone: string) => {
      const { headers } = await signedInUser(auth, email);
      const before = (await auth.mailCount());
      expect((await api.post('/auth/mfa/sms/enroll', { phone }, headers)).status).toBe(200);
      return { headers, code: await smsCodeFor(phone, before) };
    };
    const inTime = await startEnrollment('sms-prompt@example.com', '+15551230006');
    const late = await startEnrollment('sms-expiry@example.com', '+15551230003');
    clock.advance(5 * 60_000 - 1);
    expect((await api.post('/auth/mfa/sms/confirm', { code: inTime.code }, inTime.headers)).status).toBe(200);
    clock.advance(2);
    expect((await api.post('/auth/mfa/sms/confirm', { code: late.code }, late.headers)).status).toBe(403);
  });
});

describe('SMS as the second factor of a sign-in', () => {
  it('texts a code on request, rejects a wrong one, signs in with the right one, once', async () => {
    const { user, headers } = await signedInUser(auth, 'sms-login@example.com');
    const phone = '+447700900123';
    await enrollSms(headers, phone);
    const challenge = await startMfaChallenge(auth.completeSignIn, user, 'magic_link');
    expect(challenge.methods).toEqual(['sms', 'backup_code']);

    const before = (await auth.mailCount());
    const send = await api.post('/auth/mfa/verify', { mfa_token: challenge.mfaToken, method: 'sms' });
    expect(send.status).toBe(202);
    expect(send.body).toEqual({ sms_sent: true, phone: '+********0123', expires_in: 300 });
    const code = await smsCodeFor(phone, before);

    const wrong = await api.post('/auth/mfa/verify', { mfa_token: challenge.mfaToken, code: code === '000000' ? '000001' : '000000', method: 'sms' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ code: 'mfa:invalid_code', details: 'Invalid code; 4 attempt(s) left' });

    const ok = await api.post('/auth/mfa/verify', { mfa_token: challenge.mfaToken, code });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ expires_in: 86400, user: { id: user.id, email: user.email } });
    expect(ok.headers.get('set-cookie')).toContain(`session_token=${String(ok.body.session_token)}`);
    const validated = await api.post('/validate-token', undefined, { authorization: `Bearer ${String(ok.body.session_token)}` });
    expect(validated.body).toMatchObject({ user_id: user.id, amr: ['magic_link', 'mfa', 'sms'] });

    expect((await api.post('/auth/mfa/verify', { mfa_token: challenge.mfaToken, code })).body).toMatchObject({ code: 'mfa:challenge_invalid' });
  });

  it('sends at most three codes per challenge', async () => {
    const { user, headers } = await signedInUser(auth, 'sms-resend@example.com');
    await enrollSms(headers, '+15551230004');
    const challenge = await startMfaChallenge(auth.completeSignIn, user);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      statuses.push((await api.post('/auth/mfa/verify', { mfa_token: challenge.mfaToken, method: 'sms' })).status);
    }
    expect(statuses).toEqual([202, 202, 202, 429]);
  });

  it('refuses the sms method when the account has no SMS factor', async () => {
    const { user, headers } = await signedInUser(auth, 'sms-none@example.com');
    const enroll = await api.post('/auth/mfa/totp/enroll', undefined, headers);
    const app = authenticatorFrom(String(enroll.body.otpauth_uri), clock);
    await api.post('/auth/mfa/totp/confirm', { code: app.code() }, headers);
    const challenge = await startMfaChallenge(auth.completeSignIn, user);
    expect((await api.post('/auth/mfa/verify', { mfa_token: challenge.mfaToken, method: 'sms' })).body).toMatchObject({
      status: 400,
      code: 'mfa:method_unavailable',
    });
  });

  it('disables MFA with a step-up SMS code', async () => {
    const { headers } = await signedInUser(auth, 'sms-disable@example.com');
    const phone = '+15551230005';
    await enrollSms(headers, phone);
    const before = (await auth.mailCount());
    const send = await api.post('/auth/mfa/disable', { method: 'sms' }, headers);
    expect(send.status).toBe(202);
    const code = await smsCodeFor(phone, before);
    expect((await api.post('/auth/mfa/disable', { method: 'sms', code: code === '123456' ? '654321' : '123456' }, headers)).status).toBe(403);
    expect((await api.post('/auth/mfa/disable', { method: 'sms', code }, headers)).body).toEqual({ enabled: false });
    expect((await api.get('/auth/mfa/status', headers)).body).toMatchObject({ enabled: false });
  });
});

describe('Twilio provider', () => {
  it('posts the Messages API request Twilio expects: Basic auth, form-encoded To/From/Body', async () => {
    const requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
    let answer = 201;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        res.writeHead(answer, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer < 300 ? { sid: 'SM123', status: 'queued' } : { code: 21211, message: 'Invalid To' }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const provider = createTwilioSmsProvider({ accountSid: 'AC0123', authToken: 'secret-token', from: '+15550000000', apiBaseUrl: base });
      await provider.send('+15551239999', 'Your code is 123456');
      expect(requests).toHaveLength(1);
      const [request] = requests;
      expect(request!.method).toBe('POST');
      expect(request!.url).toBe('/2010-04-01/Accounts/AC0123/Messages.json');
      expect(request!.headers.authorization).toBe(`Basic ${Buffer.from('AC0123:secret-token').toString('base64')}`);
      expect(request!.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(Object.fromEntries(new URLSearchParams(request!.body))).toEqual({
        To: '+15551239999',
        From: '+15550000000',
        Body: 'Your code is 123456',
      });

      answer = 400;
      await expect(provider.send('+1', 'x')).rejects.toMatchObject({ status: 503, code: 'sms:delivery_failed' });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('requires the Twilio settings when SMS_PROVIDER=twilio', () => {
    expect(() => loadAuthConfig({ SMS_PROVIDER: 'twilio' })).toThrow(/TWILIO_ACCOUNT_SID: is required/);
    const config = loadAuthConfig({ SMS_PROVIDER: 'twilio', TWILIO_ACCOUNT_SID: 'AC1', TWILIO_AUTH_TOKEN: 't', TWILIO_FROM: '+15550000000' });
    expect(config.mfa.sms).toMatchObject({ provider: 'twilio', accountSid: 'AC1', apiBaseUrl: 'https://api.twilio.com' });
    expect(loadAuthConfig({}).mfa.sms).toEqual({ provider: 'dev' });
  });
});

describe('caps on texts (rate limits on)', () => {
  /** Starts SMS enrolment to `phone` for a fresh account, from its own client address. */
  const enrolFrom = async (instance: AuthHarness, phone: string, n: number) => {
    const { headers } = await signedInUser(instance, `sms-cap-${n}@example.com`);
    return instance.api.post('/auth/mfa/sms/enroll', { phone }, { ...headers, 'x-forwarded-for': `198.51.100.${n}` });
  };

  it('texts one number at most 5 times an hour, whatever the number of accounts; other numbers are unaffected', async () => {
    const instance = await startAuth({ env: { RATE_LIMITS_ENABLED: 'true' } });
    try {
      const statuses: number[] = [];
      for (let n = 1; n <= 6; n++) statuses.push((await enrolFrom(instance, '+15559990001', n)).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
      // The refused enrolment stored nothing: five pending factors, not six.
      expect(await instance.rows(sql`select id from mfa_factors`)).toHaveLength(5);
      expect((await enrolFrom(instance, '+15559990002', 7)).status).toBe(200);
    } finally {
      await instance.stop();
    }
  });

  it('texts at most SMS_GLOBAL_HOURLY_LIMIT messages an hour across the service', async () => {
    const instance = await startAuth({ env: { RATE_LIMITS_ENABLED: 'true', SMS_GLOBAL_HOURLY_LIMIT: '3' } });
    try {
      const statuses: number[] = [];
      for (let n = 1; n <= 4; n++) statuses.push((await enrolFrom(instance, `+1555888000${n}`, n)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const refused = await enrolFrom(instance, '+15558880009', 9);
      expect(refused.body).toMatchObject({ status: 429, code: 'rate_limit:exceeded' });
    } finally {
      await instance.stop();
    }
  });
});
