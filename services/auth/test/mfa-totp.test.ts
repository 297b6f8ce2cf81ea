import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createLogger } from '@malet/logging';
import { createAuthApp } from '../src/app';
import { loadAuthConfig } from '../src/config';
import { createSecretBox, parseSecretKey } from '../src/core/secret-box';
import { authenticatorFrom, createTestClock, enrollTotp, signedInUser, startAuthForFile, startMfaChallenge } from './support';

const clock = createTestClock();
const { auth, api } = startAuthForFile({ clock });

describe('TOTP enrollment with an independent authenticator (otpauth)', () => {
  it('answers a secret, an otpauth:// URI the app understands and a PNG QR code', async () => {
    const { user, headers } = await signedInUser(auth, 'totp-enroll@example.com');
    const enroll = await api.post('/auth/mfa/totp/enroll', undefined, headers);
    expect(enroll.status).toBe(200);
    expect(enroll.headers.get('cache-control')).toBe('no-store');
    const { secret, otpauth_uri: uri, qr_code: qr } = enroll.body as Record<string, string>;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(uri).toMatch(/^otpauth:\/\/totp\//);

    const app = authenticatorFrom(uri!, clock);
    expect(app.totp.issuer).toBe('Malet');
    expect(app.totp.label).toBe(user.email);
    expect(app.totp.algorithm).toBe('SHA1');
    expect(app.totp.digits).toBe(6);
    expect(app.totp.period).toBe(30);
    expect(app.totp.secret.base32).toBe(secret);

    expect(qr).toMatch(/^data:image\/png;base64,/);
    const png = Buffer.from(qr!.split(',')[1]!, 'base64');
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');

    // Pending until confirmed: the status says so and sign-in needs no second factor yet.
    const status = await api.get('/auth/mfa/status', headers);
    expect(status.body).toMatchObject({ enabled: false, methods: [], totp: { enabled: false, pending: true } });
    expect(await auth.completeSignIn({ user, method: 'email_otp', meta: { ip: null, userAgent: null } })).toMatchObject({ kind: 'session' });
  });

  it('stores the secret sealed with AES-256-GCM under the configured key id, never in clear', async () => {
    const { user, headers } = await signedInUser(auth, 'totp-sealed@example.com');
    const enroll = await api.post('/auth/mfa/totp/enroll', undefined, headers);
    const secret = String(enroll.body.secret);
    const rows = await auth.db.execute(sql`select * from mfa_factors where user_id = ${user.id}`);
    expect(rows.rows).toHaveLength(1);
    const sealed = String(rows.rows[0]!.secret_ciphertext);
    expect(JSON.stringify(rows.rows)).not.toContain(secret);
    expect(sealed).toMatch(/^v1\.k1\./);

    const box = createSecretBox({ current: auth.config.mfa.encryptionKey });
    expect(box.open(sealed, `mfa:totp:${user.id}`)).toBe(secret);
    // Bound to its owner: the same ciphertext does not open for another user's row.
    expect(() => box.open(sealed, 'mfa:totp:00000000-0000-0000-0000-000000000000')).toThrow();
  });

  it('confirms with a current code, enables TOTP, hands out ten backup codes once, and audits it', async () => {
    const { user, headers } = await signedInUser(auth, 'totp-confirm@example.com');
    const enroll = await api.post('/auth/mfa/totp/enroll', undefined, headers);
    const app = authenticatorFrom(String(enroll.body.otpauth_uri), clock);

    const wrong = await api.post('/auth/mfa/totp/confirm', { code: app.code(5) }, headers);
    expect(wrong.status).toBe(403);
    expect(wrong.body).toMatchObject({ status: 403, code: 'mfa:code_rejected' });

    const confirm = await api.post('/auth/mfa/totp/confirm', { code: app.code() }, headers);
    expect(confirm.status).toBe(200);
    expect(confirm.body).toMatchObject({ enabled: true, method: 'totp' });
    const codes = confirm.body.backup_codes as string[];
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);

    const status = await api.get('/auth/mfa/status', headers);
    expect(status.body).toMatchObject({
      enabled: true,
      methods: ['totp', 'backup_code'],
      totp: { enabled: true, pending: false },
      sms: { enabled: false, phone: null },
      backup_codes_remaining: 10,
    });

    expect((await api.post('/auth/mfa/totp/enroll', undefined, headers)).body).toMatchObject({ status: 409, code: 'mfa:already_enrolled' });

    const audit = await auth.db.execute(sql`select type, outcome, method from audit_events where user_id = ${user.id} order by occurred_at`);
    expect(audit.rows).toEqual(
      expect.arrayContaining([
        { type: 'mfa.enrollment', outcome: 'failure', method: 'totp' },
        { type: 'mfa.enrolled', outcome: 'success', method: 'totp' },
      ]),
    );
    const outbox = await auth.db.execute(sql`select payload from outbox where topic = 'audit.security_event'`);
    expect(outbox.rows.map((row) => (row.payload as { type: string; user_id: string }))).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'mfa.enrolled', user_id: user.id })]),
    );
  });

  it('kills a pending enrollment after five wrong codes; enrolling again starts afresh', async () => {
    const { headers } = await signedInUser(auth, 'totp-guesses@example.com');
    const enroll = await api.post('/auth/mfa/totp/enroll', undefined, headers);
    const app = authenticatorFrom(String(enroll.body.otpauth_uri), clock);
    const wrong = app.code(10);
    const answers = await Promise.all(Array.from({ length: 20 }, () => api.post('/auth/mfa/totp/confirm', { code: wrong }, headers)));
    expect(answers.filter((a) => a.body.code === 'mfa:code_rejected')).toHaveLength(5);
    expect(answers.filter((a) => a.body.code === 'mfa:too_many_attempts')).toHaveLength(15);
    expect((await api.post('/auth/mfa/totp/confirm', { code: app.code() }, headers)).body).toMatchObject({ code: 'mfa:too_many_attempts' });

    const again = await api.post('/auth/mfa/totp/enroll', undefined, headers);
    const fresh = authenticatorFrom(String(again.body.otpauth_uri), clock);
    expect((await api.post('/auth/mfa/totp/confirm', { code: fresh.code() }, headers)).status).toBe(200);
  });

  it('rejects a replayed code: each time step is accepted once, and codes outside ±1 step never', async () => {
    const { user, headers } = await signedInUser(auth, 'totp-replay@example.com');
    const { app } = await enrollTotp(api, headers, clock);

    // The code that confirmed the enrollment cannot sign in within its window.
    let challenge = await startMfaChallenge(auth.completeSignIn, user);
    expect(challenge.methods).toEqual(['totp', 'backup_code']);
    const replay = await api.post('/auth/mfa/verify', { mfa_token: challenge.mfaToken, code: app.code() });
    expect(replay.status).toBe(401);
    expect(replay.body).toMatchObject({ code: 'mfa:invalid_code' });

    // Two steps ahead is outside the window.
    expect((await api.post('/auth/mfa/verify', { mfa_token: challenge.mfaToken, code: app.code(2) })).status).toBe(401);

    clock.advance(30_000);
    const ok = await api.post('/auth/mfa/verify', { mfa_token: challenge.mfaToken, code: app.code() });
    expect(ok.status).toBe(200);

    // Same code, new challenge, same step: rejected. The previous step (still in the window) too.
    challenge = await startMfaChallenge(auth.completeSignIn, user);
    expect((await api.post('/auth/mfa/verify', { mfa_token: challenge.mfaToken, code: app.code() })).status).toBe(401);
    expect((await api.post('/auth/mfa/verify', { mfa_token: challenge.mfaToken, code: app.code(-1) })).status).toBe(401);
    // The next step (clock drift of the phone) is accepted once.
    expect((await api.post('/auth/mfa/verify', { mfa_token: challenge.mfaToken, code: app.code(1) })).status).toBe(200);
  });

  it('disables MFA with a current code only; everything of the factor is deleted', async () => {
    const { user, headers } = await signedInUser(auth, 'totp-disable@example.com');
    const { app } = await enrollTotp(api, headers, clock);
    clock.advance(30_000);

    const wrong = await api.post('/auth/mfa/disable', { code: app.code(3) }, headers);
    expect(wrong.status).toBe(403);
    expect((await api.get('/auth/mfa/status', headers)).body).toMatchObject({ enabled: true });
    expect((await api.post('/auth/mfa/disable', {}, headers)).status).toBe(400);

    const ok = await api.post('/auth/mfa/disable', { code: app.code() }, headers);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ enabled: false });
    expect((await api.get('/auth/mfa/status', headers)).body).toMatchObject({ enabled: false, methods: [], backup_codes_remaining: 0 });
    const left = await auth.db.execute(
      sql`select (select count(*) from mfa_factors where user_id = ${user.id})::int as factors, (select count(*) from mfa_backup_codes where user_id = ${user.id})::int as codes`,
    );
    expect(left.rows[0]).toEqual({ factors: 0, codes: 0 });
    expect(await auth.completeSignIn({ user, method: 'password', meta: { ip: null, userAgent: null } })).toMatchObject({ kind: 'session' });
    expect((await api.post('/auth/mfa/disable', { code: app.code() }, headers)).body).toMatchObject({ status: 409, code: 'mfa:not_enabled' });
  });
});

describe('MFA encryption key', () => {
  it('opens values sealed under a retired key after rotation, and seals new ones with the new key', () => {
    const oldKey = { id: 'k1', key: parseSecretKey('a'.repeat(64))! };
    const newKey = { id: 'k2', key: parseSecretKey(Buffer.alloc(32, 7).toString('base64'))! };
    const sealed = createSecretBox({ current: oldKey }).seal('JBSWY3DPEHPK3PXP', 'ctx');
    const rotated = createSecretBox({ current: newKey, previous: [oldKey] });
    expect(rotated.open(sealed, 'ctx')).toBe('JBSWY3DPEHPK3PXP');
    expect(rotated.isStale(sealed)).toBe(true);
    expect(rotated.seal('x', 'ctx')).toMatch(/^v1\.k2\./);
    expect(() => createSecretBox({ current: newKey }).open(sealed, 'ctx')).toThrow();
    // One bit of the authentication tag flipped (editing base64 text can touch only its unused
    // bits and leave the bytes as they were, about once in 256 runs).
    const parts = sealed.split('.');
    const tag = Buffer.from(parts[4]!, 'base64url');
    tag[0]! ^= 1;
    const tampered = [...parts.slice(0, 4), tag.toString('base64url')].join('.');
    expect(tampered).not.toBe(sealed);
    expect(() => rotated.open(tampered, 'ctx')).toThrow();
  });

  it('re-seals a secret under the new key the first time it is used after a rotation', async () => {
    const { user, headers } = await signedInUser(auth, 'totp-rotation@example.com');
    const { app } = await enrollTotp(api, headers, clock);
    const oldKeyHex = auth.config.mfa.encryptionKey.key.toString('hex');
    const config = loadAuthConfig({
      LOG_LEVEL: 'silent',
      RATE_LIMITS_ENABLED: 'false',
      MFA_ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64'),
      MFA_ENCRYPTION_KEY_ID: 'k2',
      MFA_ENCRYPTION_PREVIOUS_KEYS: `k1:${oldKeyHex}`,
    });
    const rotated = await createAuthApp({ config, logger: createLogger({ service: 'auth', level: 'silent' }), db: auth.db, ping: async () => {}, redis: null, clock });
    try {
      const result = await rotated.completeSignIn({ user, method: 'password', meta: { ip: null, userAgent: null } });
      if (result.kind !== 'mfa_required') throw new Error('expected an MFA challenge');
      clock.advance(30_000);
      const signedIn = await rotated.mfa.verifySignIn({ mfaToken: result.challenge.mfaToken, code: app.code() }, { ip: null, userAgent: null });
      expect(signedIn.kind).toBe('session');
      const rows = await auth.db.execute(sql`select secret_ciphertext from mfa_factors where user_id = ${user.id}`);
      expect(String(rows.rows[0]!.secret_ciphertext)).toMatch(/^v1\.k2\./);
    } finally {
      await rotated.close();
    }
  });

  it('refuses the published dev key in production and names the variable, not the value', () => {
    const production = { NODE_ENV: 'production', INTERNAL_TOKEN_SECRET: randomBytes(32).toString('hex'), OTP_HMAC_SECRET: randomBytes(32).toString('hex'), SMTP_URL: 'smtp://relay.example.com:587' };
    expect(() => loadAuthConfig(production)).toThrow(/MFA_ENCRYPTION_KEY: must be set in production/);
    expect(() => loadAuthConfig({ ...production, MFA_ENCRYPTION_KEY: 'short' })).toThrow(/MFA_ENCRYPTION_KEY: must be 32 bytes/);
    const key = randomBytes(32).toString('base64');
    const config = loadAuthConfig({ ...production, MFA_ENCRYPTION_KEY: key, MFA_ENCRYPTION_KEY_ID: 'k2', MFA_ENCRYPTION_PREVIOUS_KEYS: `k1:${'b'.repeat(64)}` });
    expect(config.mfa.encryptionKey.id).toBe('k2');
    expect(config.mfa.previousEncryptionKeys.map((k) => k.id)).toEqual(['k1']);
    // It certainly throws, naming the variable, and what it throws does not repeat the value.
    const badKey = () => loadAuthConfig({ ...production, MFA_ENCRYPTION_KEY: 'not-a-key-but-a-secret-value' });
    expect(badKey).toThrow(/MFA_ENCRYPTION_KEY/);
    expect(badKey).toThrow(expect.objectContaining({ message: expect.not.stringContaining('not-a-key-but-a-secret-value') }));
  });
});

describe('MFA status in GraphQL (User.mfa)', () => {
  type MfaAnswer = { me: { mfa: Record<string, unknown> } };
  const graphqlAs = (viewer: { id: string; email: string }, query: string) => auth.graphql<MfaAnswer>(query, { userId: viewer.id, email: viewer.email });

  it('shows the viewer their factors, and nobody else', async () => {
    const { user, headers } = await signedInUser(auth, 'totp-graphql@example.com');
    const query = '{ me { mfa { enabled methods totpEnabled smsEnabled smsPhoneHint backupCodesRemaining } } }';
    expect((await graphqlAs(user, query)).data?.me.mfa).toEqual({
      enabled: false,
      methods: [],
      totpEnabled: false,
      smsEnabled: false,
      smsPhoneHint: null,
      backupCodesRemaining: 0,
    });
    await enrollTotp(api, headers, clock);
    expect((await graphqlAs(user, query)).data?.me.mfa).toMatchObject({ enabled: true, totpEnabled: true, backupCodesRemaining: 10 });
    expect((await graphqlAs(user, query)).data?.me.mfa.methods).toEqual(expect.arrayContaining(['totp', 'backup_code']));

    const { user: stranger } = await signedInUser(auth, 'totp-graphql-stranger@example.com');
    const peek = await graphqlAs(stranger, `{ _entities(representations: [{ __typename: "User", id: "${user.id}" }]) { ... on User { mfa { enabled } } } }`);
    expect(peek.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
  });
});
