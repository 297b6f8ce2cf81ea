import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { loadAuthConfig } from '../src/config';
import {
  bearer,
  createSoftwareAuthenticator,
  createTestClock,
  enrollTotp,
  issueDevToken,
  registerUser,
  STRONG,
  registerPasskey,
  signedInUser,
  startAuth,
  startAuthForFile,
  startPasskeySignIn,
  type AuthHarness,
  type HttpClient,
  type SoftwareAuthenticator,
  type TestClock,
} from './support';

const ORIGIN = 'http://localhost:3008';
const clock = createTestClock();
const { auth, api } = startAuthForFile({ clock });

const newAuthenticator = (options: { userVerified?: boolean } = {}) => createSoftwareAuthenticator({ origin: ORIGIN, ...options });

/** A signed-in user (fresh session: a recent sign-in) with one passkey on its own authenticator. */
async function userWithPasskey(email: string, options: { verified?: boolean } = {}) {
  const { identity } = await auth.identities.createWithEvent({ email, verified: options.verified ?? true });
  const session = await api.post<{ session_token: string }>('/auth/dev/token', { email });
  const headers = bearer(session.body.session_token);
  const authenticator = newAuthenticator();
  const passkey = await registerPasskey(api, headers, authenticator);
  return { user: { id: identity.id, email }, headers, authenticator, passkey };
}

/** login/start then login/finish with the authenticator's answer (overrides applied). */
async function signInWithPasskey(
  client: HttpClient,
  authenticator: SoftwareAuthenticator,
  options: { email?: string; overrides?: Parameters<SoftwareAuthenticator['assert']>[1] } = {},
) {
  const { publicKey } = await startPasskeySignIn(client, options.email ? { email: options.email } : {});
  return client.post('/auth/passkey/login/finish', authenticator.assert(publicKey, options.overrides));
}

/** Moves `clock` to the moment the session behind `headers` is `ageMs` old (its sign-in time is the row's). */
async function advanceToSignInAge(harness: AuthHarness, clock: TestClock, headers: Record<string, string>, ageMs: number) {
  const sessionId = (await harness.api.post<{ session_id: string }>('/validate-token', undefined, headers)).body.session_id;
  const [row] = await harness.rows(sql`select created_at from sessions where id = ${sessionId}`);
  clock.advance(new Date(String(row!.created_at)).getTime() + ageMs - clock.now().getTime());
}

const amrOf = async (token: unknown, client: HttpClient = api) => (await client.post<{ amr: string[] }>('/validate-token', undefined, bearer(String(token)))).body.amr;
const auditOf = (userId: string, type: string) =>
  auth.rows(sql`select outcome, details from audit_events where user_id = ${userId} and type = ${type} order by occurred_at`);

describe('passkey registration', () => {
  it('registers a discoverable passkey with attestation "none" and stores only public material', async () => {
    const { user, headers } = await signedInUser(auth, 'pk-register@example.com');
    const start = await api.post<{ publicKey: Record<string, unknown> }>('/auth/passkey/register/start', undefined, headers);
    expect(start.status).toBe(200);
    expect(start.body.publicKey).toMatchObject({
      rp: { id: 'localhost', name: 'Malet' },
      user: { name: user.email, id: Buffer.from(user.id.replace(/-/g, ''), 'hex').toString('base64url') },
      attestation: 'none',
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    });
    const authenticator = newAuthenticator();
    const finish = await api.post('/auth/passkey/register/finish', { ...authenticator.register(start.body.publicKey as never), name: 'Work laptop' }, headers);
    expect(finish.status).toBe(201);
    expect(finish.body.passkey).toMatchObject({ name: 'Work laptop', device_type: 'singleDevice', backed_up: false, last_used_at: null, transports: ['internal'] });

    const [row] = await auth.rows(sql`select * from passkey_credentials where user_id = ${user.id}`);
    expect(row).toMatchObject({ credential_id: authenticator.credentialIds()[0], sign_count: '0', aaguid: '00000000-0000-0000-0000-000000000000' });
    // The challenge is kept only as its SHA-256, and it is spent.
    const challenge = String(start.body.publicKey.challenge);
    const challenges = await auth.rows(sql`select challenge_hash, ceremony, user_id, consumed_at from webauthn_challenges where user_id = ${user.id}`);
    expect(JSON.stringify(challenges)).not.toContain(challenge);
    expect(challenges).toEqual([{ challenge_hash: expect.stringMatching(/^[0-9a-f]{64}$/), ceremony: 'registration', user_id: user.id, consumed_at: expect.anything() }]);
  });

  it('needs a session, and a recent sign-in: at RECENT_SIGN_IN_SECONDS it may, a millisecond later it may not', async () => {
    expect((await api.post('/auth/passkey/register/start')).body).toMatchObject({ status: 401, code: 'auth:invalid_session' });
    const local = createTestClock();
    const other = await startAuth({ clock: local });
    try {
      const { headers } = await signedInUser(other, 'pk-recent@example.com');
      await advanceToSignInAge(other, local, headers, 600_000);
      expect((await other.api.post('/auth/passkey/register/start', undefined, headers)).status).toBe(200);
      local.advance(1);
      expect((await other.api.post('/auth/passkey/register/start', undefined, headers)).body).toMatchObject({ status: 403, code: 'auth:reauthentication_required' });
      expect((await other.api.post('/auth/passkey/register/finish', {}, headers)).body).toMatchObject({ status: 403, code: 'auth:reauthentication_required' });
    } finally {
      await other.stop();
    }
  });

  it('keeps several passkeys per user, excludes the registered ones from new ceremonies, and refuses one credential twice', async () => {
    const { headers, authenticator, passkey } = await userWithPasskey('pk-several@example.com');
    const second = await registerPasskey(api, headers, newAuthenticator(), 'Phone');
    const list = await api.get<{ passkeys: { id: string; name: string }[] }>('/auth/passkeys', headers);
    expect(list.body.passkeys.map((item) => item.id)).toEqual([passkey.id, second.id]);

    const start = await api.post<{ publicKey: { excludeCredentials: { id: string }[] } }>('/auth/passkey/register/start', undefined, headers);
    expect(start.body.publicKey.excludeCredentials.map((item) => item.id).sort()).toEqual([passkey.credentialId, second.credentialId].sort());

    // A finish that re-presents an existing credential id (another registration of the same key).
    const again = authenticator.register(start.body.publicKey as never);
    const replacedId = { ...again, id: passkey.credentialId, rawId: passkey.credentialId };
    const attestation = Buffer.from(again.response.attestationObject, 'base64url');
    const newId = Buffer.from(again.id, 'base64url');
    attestation.set(Buffer.from(passkey.credentialId, 'base64url'), attestation.indexOf(newId));
    replacedId.response = { ...again.response, attestationObject: attestation.toString('base64url') };
    expect((await api.post('/auth/passkey/register/finish', replacedId, headers)).body).toMatchObject({ status: 409, code: 'passkey:already_registered' });
  });

  it('holds at most 25 passkeys per account: the 25th registers, the 26th is refused', async () => {
    const { headers } = await signedInUser(auth, 'pk-many@example.com');
    for (let i = 0; i < 24; i += 1) await registerPasskey(api, headers, newAuthenticator());
    await registerPasskey(api, headers, newAuthenticator());
    expect((await api.get<{ passkeys: unknown[] }>('/auth/passkeys', headers)).body.passkeys).toHaveLength(25);
    expect((await api.post('/auth/passkey/register/start', undefined, headers)).body).toMatchObject({ status: 409, code: 'passkey:limit' });
  });

  it("refuses another user's registration challenge: the challenge is bound to the user it was issued to", async () => {
    const alice = await signedInUser(auth, 'pk-reg-alice@example.com');
    const bob = await signedInUser(auth, 'pk-reg-bob@example.com');
    const start = await api.post<{ publicKey: never }>('/auth/passkey/register/start', undefined, alice.headers);
    const response = newAuthenticator().register(start.body.publicKey);
    expect((await api.post('/auth/passkey/register/finish', response, bob.headers)).body).toMatchObject({ status: 400, code: 'passkey:challenge_invalid' });
    // Still Alice's to use.
    expect((await api.post('/auth/passkey/register/finish', response, alice.headers)).status).toBe(201);
  });
});

describe('passkey sign-in', () => {
  it('signs in without an email (discoverable credential); with user verification it counts as two factors', async () => {
    const { user, authenticator } = await userWithPasskey('pk-discoverable@example.com');
    const start = await startPasskeySignIn(api);
    expect(start.mediation).toBe('optional');
    expect(start.publicKey).toMatchObject({ rpId: 'localhost', userVerification: 'required' });
    expect(start.publicKey.allowCredentials ?? []).toEqual([]);
    const finish = await api.post('/auth/passkey/login/finish', authenticator.assert(start.publicKey));
    expect(finish.status).toBe(200);
    expect(finish.body).toMatchObject({ user: { id: user.id, email: user.email }, session_token: expect.stringMatching(/^sess_/), refresh_token: expect.stringMatching(/^ref_/) });
    expect(finish.headers.get('set-cookie')).toMatch(/^session_token=sess_/);
    expect(await amrOf(finish.body.session_token)).toEqual(['passkey', 'mfa', 'uv']);
    expect((await api.get('/me', bearer(String(finish.body.session_token)))).body).toMatchObject({ id: user.id });
  });

  it('answers a conditional (autofill) request with no credential list and mediation "conditional", even with an email', async () => {
    const { user, authenticator } = await userWithPasskey('pk-autofill@example.com');
    const start = await startPasskeySignIn(api, { email: user.email, mediation: 'conditional' });
    expect(start).toMatchObject({ mediation: 'conditional' });
    expect(start.publicKey.allowCredentials ?? []).toEqual([]);
    expect((await api.post('/auth/passkey/login/finish', authenticator.assert(start.publicKey))).status).toBe(200);
  });

  it("email first: lists only that account's passkeys, and the same shape (one stable decoy id) for an address without any", async () => {
    const { user, authenticator, passkey } = await userWithPasskey('pk-email-first@example.com');
    const start = await startPasskeySignIn(api, { email: 'PK-Email-First@example.com' });
    expect(start.publicKey.allowCredentials).toEqual([{ id: passkey.credentialId, type: 'public-key' }]);
    const finish = await api.post('/auth/passkey/login/finish', authenticator.assert(start.publicKey));
    expect(finish.body).toMatchObject({ user: { id: user.id } });

    const unknown = await startPasskeySignIn(api, { email: 'pk-nobody@example.com' });
    const again = await startPasskeySignIn(api, { email: 'pk-nobody@example.com' });
    expect(unknown.publicKey.allowCredentials).toEqual([{ id: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), type: 'public-key' }]);
    expect(again.publicKey.allowCredentials).toEqual(unknown.publicKey.allowCredentials);
    expect(Object.keys(unknown.publicKey).sort()).toEqual(Object.keys(start.publicKey).sort());
  });

  it("refuses another user's credential on an email-first challenge", async () => {
    const alice = await userWithPasskey('pk-owner-alice@example.com');
    const bob = await userWithPasskey('pk-owner-bob@example.com');
    const { publicKey } = await startPasskeySignIn(api, { email: alice.user.email });
    const answer = await api.post('/auth/passkey/login/finish', bob.authenticator.assert(publicKey, { credentialId: bob.passkey.credentialId }));
    expect(answer.body).toMatchObject({ status: 401, code: 'passkey:unknown_credential' });
    expect(answer.headers.get('set-cookie')).toBeNull();
    expect(await auditOf(alice.user.id, 'signin')).toContainEqual({ outcome: 'failure', details: { reason: 'credential_of_another_account' } });
  });

  it("refuses an assertion whose user handle names another account than the credential's", async () => {
    const alice = await userWithPasskey('pk-handle-alice@example.com');
    const bob = await userWithPasskey('pk-handle-bob@example.com');
    const { publicKey } = await startPasskeySignIn(api);
    const assertion = bob.authenticator.assert(publicKey);
    assertion.response.userHandle = Buffer.from(alice.user.id.replace(/-/g, ''), 'hex').toString('base64url');
    expect((await api.post('/auth/passkey/login/finish', assertion)).body).toMatchObject({ status: 401, code: 'passkey:unknown_credential' });
  });

  it('refuses a foreign challenge: one this service never issued, and a registration challenge presented to sign in', async () => {
    const { headers, authenticator } = await userWithPasskey('pk-foreign-challenge@example.com');
    const { publicKey } = await startPasskeySignIn(api);
    const made = authenticator.assert(publicKey, { challenge: Buffer.from('a challenge nobody issued').toString('base64url') });
    expect((await api.post('/auth/passkey/login/finish', made)).body).toMatchObject({ status: 400, code: 'passkey:challenge_invalid' });

    const registration = await api.post<{ publicKey: { challenge: string } }>('/auth/passkey/register/start', undefined, headers);
    const crossed = authenticator.assert({ challenge: registration.body.publicKey.challenge, rpId: 'localhost' });
    expect((await api.post('/auth/passkey/login/finish', crossed)).body).toMatchObject({ status: 400, code: 'passkey:challenge_invalid' });
  });

  it('refuses a replayed assertion: the challenge works once', async () => {
    const { authenticator } = await userWithPasskey('pk-replay@example.com');
    const { publicKey } = await startPasskeySignIn(api);
    const assertion = authenticator.assert(publicKey);
    expect((await api.post('/auth/passkey/login/finish', assertion)).status).toBe(200);
    expect((await api.post('/auth/passkey/login/finish', assertion)).body).toMatchObject({ status: 400, code: 'passkey:challenge_invalid' });
  });

  it('refuses an assertion made on an origin that is not allowed', async () => {
    const { user, authenticator } = await userWithPasskey('pk-origin@example.com');
    const answer = await signInWithPasskey(api, authenticator, { overrides: { origin: 'http://localhost:4444' } });
    expect(answer.body).toMatchObject({ status: 400, code: 'passkey:origin_not_allowed' });
    expect(await auditOf(user.id, 'signin')).toEqual([]);
    // The gateway's origin (PASSKEY_ORIGINS default) is allowed.
    expect((await signInWithPasskey(api, authenticator, { overrides: { origin: 'http://localhost:30000' } })).status).toBe(200);
  });

  it('refuses an assertion signed for another RP ID', async () => {
    const { user, authenticator } = await userWithPasskey('pk-rpid@example.com');
    const answer = await signInWithPasskey(api, authenticator, { overrides: { rpId: 'evil.example' } });
    expect(answer.body).toMatchObject({ status: 400, code: 'passkey:rp_id_mismatch' });
    expect(await auditOf(user.id, 'signin')).toContainEqual({ outcome: 'failure', details: { reason: 'rp_id_mismatch' } });
  });

  it('refuses a signature that does not verify, and a response of the wrong ceremony type', async () => {
    const { authenticator } = await userWithPasskey('pk-signature@example.com');
    const { publicKey } = await startPasskeySignIn(api);
    const assertion = authenticator.assert(publicKey);
    const signature = Buffer.from(assertion.response.signature, 'base64url');
    signature[signature.length - 1]! ^= 0x01;
    assertion.response.signature = signature.toString('base64url');
    expect((await api.post('/auth/passkey/login/finish', assertion)).body).toMatchObject({ status: 401, code: 'passkey:verification_failed' });
    expect((await signInWithPasskey(api, authenticator, { overrides: { type: 'webauthn.create' } })).body).toMatchObject({ status: 401, code: 'passkey:verification_failed' });
  });

  it('spends a challenge at PASSKEY_CHALLENGE_TTL_SECONDS: usable a millisecond before, refused a millisecond after', async () => {
    const { authenticator } = await userWithPasskey('pk-ttl@example.com');
    const early = await startPasskeySignIn(api);
    const late = await startPasskeySignIn(api);
    clock.advance(300_000 - 1);
    expect((await api.post('/auth/passkey/login/finish', authenticator.assert(early.publicKey))).status).toBe(200);
    clock.advance(1);
    expect((await api.post('/auth/passkey/login/finish', authenticator.assert(late.publicKey))).body).toMatchObject({ status: 400, code: 'passkey:challenge_invalid' });
  });

  it('refuses and audits a cloned authenticator whose counter goes backwards (or stands still); a counter that moves on signs in', async () => {
    const { user, authenticator, passkey } = await userWithPasskey('pk-clone@example.com');
    for (let i = 0; i < 3; i += 1) expect((await signInWithPasskey(api, authenticator)).status).toBe(200);
    const clone = authenticator.cloneCredential(passkey.credentialId, 0);
    const backwards = await signInWithPasskey(api, clone, { overrides: { counter: 2 } });
    expect(backwards.body).toMatchObject({ status: 401, code: 'passkey:counter_regressed' });
    expect(backwards.headers.get('set-cookie')).toBeNull();
    expect((await signInWithPasskey(api, clone, { overrides: { counter: 3 } })).body).toMatchObject({ code: 'passkey:counter_regressed' });
    expect(await auditOf(user.id, 'passkey.counter_regressed')).toEqual([
      { outcome: 'failure', details: { passkey_id: passkey.id, stored_counter: 3, presented_counter: 2 } },
      { outcome: 'failure', details: { passkey_id: passkey.id, stored_counter: 3, presented_counter: 3 } },
    ]);
    expect((await signInWithPasskey(api, authenticator)).status).toBe(200);
    const [row] = await auth.rows(sql`select sign_count from passkey_credentials where id = ${passkey.id}`);
    expect(row).toEqual({ sign_count: '4' });
  });

  it('accepts an authenticator without a counter (always 0), and refuses 0 once a counter was seen', async () => {
    const { headers } = await signedInUser(auth, 'pk-no-counter@example.com');
    const counterless = createSoftwareAuthenticator({ origin: ORIGIN, counterStep: 0 });
    await registerPasskey(api, headers, counterless);
    expect((await signInWithPasskey(api, counterless)).status).toBe(200);
    expect((await signInWithPasskey(api, counterless)).status).toBe(200);
    expect((await signInWithPasskey(api, counterless, { overrides: { counter: 1 } })).status).toBe(200);
    expect((await signInWithPasskey(api, counterless, { overrides: { counter: 0 } })).body).toMatchObject({ code: 'passkey:counter_regressed' });
  });

  it('counts a verified passkey as both factors: a TOTP user gets a session, not an MFA prompt', async () => {
    const { headers, authenticator } = await userWithPasskey('pk-totp@example.com');
    await enrollTotp(api, headers, clock);
    const answer = await signInWithPasskey(api, authenticator);
    expect(answer.body).toMatchObject({ session_token: expect.stringMatching(/^sess_/) });
    expect(answer.body).not.toHaveProperty('mfa_required');
    expect(await amrOf(answer.body.session_token)).toEqual(['passkey', 'mfa', 'uv']);
  });

  it('refuses an assertion without user verification by default', async () => {
    const { authenticator } = await userWithPasskey('pk-no-uv@example.com');
    expect((await signInWithPasskey(api, authenticator, { overrides: { userVerified: false } })).body).toMatchObject({
      status: 401,
      code: 'passkey:user_verification_required',
    });
  });

  it('blocks a cross-site browser post of an assertion (login CSRF), and lets a same-origin page post it', async () => {
    const { authenticator } = await userWithPasskey('pk-csrf@example.com');
    const { publicKey } = await startPasskeySignIn(api);
    const assertion = authenticator.assert(publicKey);
    const foreign = await api.post('/auth/passkey/login/finish', assertion, { origin: 'http://evil.example' });
    expect(foreign.body).toMatchObject({ status: 403, code: 'csrf:origin_not_trusted' });
    expect((await api.post('/auth/passkey/login/finish', assertion, { origin: ORIGIN })).status).toBe(200);
  });

  it('answers malformed ceremonies with 4xx in the error shape, never a 500', async () => {
    const { headers } = await signedInUser(auth, 'pk-bad-input@example.com');
    const cases: [string, unknown, Record<string, string>?][] = [
      ['/auth/passkey/login/finish', {}],
      ['/auth/passkey/login/finish', '{"id":'],
      ['/auth/passkey/login/finish', { id: 'a', rawId: 'a', type: 'public-key', response: { clientDataJSON: 'bm90IGpzb24', authenticatorData: 'AA', signature: 'AA' } }],
      ['/auth/passkey/login/finish', { id: 'a', rawId: 'a', type: 'public-key', response: { clientDataJSON: 'a!', authenticatorData: 'AA', signature: 'AA' } }],
      ['/auth/passkey/login/start', { email: 'not an email' }],
      ['/auth/passkey/login/start', { mediation: 'silent' }],
      ['/auth/passkey/register/finish', { id: 'a', rawId: 'a', type: 'public-key', response: { clientDataJSON: 'e30', attestationObject: 'AA' } }, headers],
      ['/auth/passkey/register/finish', { id: 'a', rawId: 'a', type: 'public-key', response: {} }, headers],
    ];
    for (const [path, body, extra] of cases) {
      const answer = await api.post(path, body, extra);
      expect(answer.status, `${path} ${JSON.stringify(body)}`).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expect(answer.body).toMatchObject({ status: answer.status, code: expect.stringMatching(/^[a-z_]+:[a-z_]+$/) });
    }
  });
});

describe('passkeys that are not verified by the authenticator (PASSKEY_USER_VERIFICATION=preferred)', () => {
  let preferred: AuthHarness;
  it('treats them as a first factor: a TOTP user is asked for the second, a user without MFA signs in with amr ["passkey"]', async () => {
    preferred = await startAuth({ env: { PASSKEY_USER_VERIFICATION: 'preferred' } });
    try {
      const { headers } = await signedInUser(preferred, 'pk-pref-totp@example.com');
      const authenticator = newAuthenticator({ userVerified: false });
      await registerPasskey(preferred.api, headers, authenticator);
      const start = await preferred.api.post<{ publicKey: { userVerification: string } }>('/auth/passkey/login/start', {});
      expect(start.body.publicKey.userVerification).toBe('preferred');
      await enrollTotp(preferred.api, headers, preferred.clock);
      const gated = await signInWithPasskey(preferred.api, authenticator);
      expect(gated.body).toMatchObject({ mfa_required: true, mfa_token: expect.stringMatching(/^mfa_/), mfa_methods: ['totp', 'backup_code'] });
      expect(gated.headers.get('set-cookie')).toBeNull();
      // The same passkey with verification skips the prompt.
      expect(await amrOf((await signInWithPasskey(preferred.api, authenticator, { overrides: { userVerified: true } })).body.session_token, preferred.api)).toEqual([
        'passkey',
        'mfa',
        'uv',
      ]);

      const plain = await signedInUser(preferred, 'pk-pref-plain@example.com');
      const other = newAuthenticator({ userVerified: false });
      await registerPasskey(preferred.api, plain.headers, other);
      const session = await signInWithPasskey(preferred.api, other);
      expect(await amrOf(session.body.session_token, preferred.api)).toEqual(['passkey']);
    } finally {
      await preferred?.stop();
    }
  });
});

describe('the passkey list', () => {
  it('renames: 64 characters are a name, 65 are refused, and only the owner may', async () => {
    const { headers, passkey } = await userWithPasskey('pk-rename@example.com');
    const other = await signedInUser(auth, 'pk-rename-other@example.com');
    const long = 'x'.repeat(64);
    expect((await api.patch(`/auth/passkeys/${passkey.id}`, { name: `  ${long}  ` }, headers)).body).toMatchObject({ passkey: { id: passkey.id, name: long } });
    expect((await api.patch(`/auth/passkeys/${passkey.id}`, { name: `${long}x` }, headers)).body).toMatchObject({ status: 400, code: 'request:invalid', fields: ['name'] });
    expect((await api.patch(`/auth/passkeys/${passkey.id}`, { name: 'mine now' }, other.headers)).body).toMatchObject({ status: 404, code: 'passkey:not_found' });
    expect((await api.patch('/auth/passkeys/not-a-uuid', { name: 'x' }, headers)).body).toMatchObject({ status: 404, code: 'passkey:not_found' });
  });

  it("deletes one of my passkeys (not another user's), after which it no longer signs in", async () => {
    const { headers, passkey, authenticator } = await userWithPasskey('pk-delete@example.com');
    const other = await signedInUser(auth, 'pk-delete-other@example.com');
    expect((await api.del(`/auth/passkeys/${passkey.id}`, other.headers)).body).toMatchObject({ status: 404, code: 'passkey:not_found' });
    expect((await api.del(`/auth/passkeys/${passkey.id}`, headers)).body).toEqual({ success: true });
    expect((await api.get<{ passkeys: unknown[] }>('/auth/passkeys', headers)).body.passkeys).toEqual([]);
    expect((await signInWithPasskey(api, authenticator)).body).toMatchObject({ status: 401, code: 'passkey:unknown_credential' });
  });

  it('refuses to delete the last way to sign in: no other passkey, no password, no verified email', async () => {
    const { user, headers, passkey } = await userWithPasskey('pk-last@example.com', { verified: false });
    expect((await api.del(`/auth/passkeys/${passkey.id}`, headers)).body).toMatchObject({ status: 409, code: 'passkey:last_sign_in_method' });
    // A verified email is a way in (codes and links reach its owner).
    await auth.identities.markAddressVerified(user.id, 'pk-last@example.com', clock.now());
    expect((await api.del(`/auth/passkeys/${passkey.id}`, headers)).status).toBe(200);
  });

  it('lets the last passkey go when a password is set, and the next-to-last when another passkey remains', async () => {
    // A password account, not yet verified, signed in with its password.
    await registerUser(api, auth.mail, 'pk-last-password@example.com');
    const login = await api.post<{ session_token: string }>('/auth/login', { email: 'pk-last-password@example.com', password: STRONG });
    const headers = bearer(login.body.session_token);
    const withPassword = await registerPasskey(api, headers, newAuthenticator());
    expect((await api.del(`/auth/passkeys/${withPassword.id}`, headers)).status).toBe(200);

    const two = await userWithPasskey('pk-last-two@example.com', { verified: false });
    const second = await registerPasskey(api, two.headers, newAuthenticator());
    expect((await api.del(`/auth/passkeys/${two.passkey.id}`, two.headers)).status).toBe(200);
    expect((await api.del(`/auth/passkeys/${second.id}`, two.headers)).body).toMatchObject({ code: 'passkey:last_sign_in_method' });
  });

  it('lets only one of two racing deletions of the last two passkeys through', async () => {
    const { headers, passkey } = await userWithPasskey('pk-race@example.com', { verified: false });
    const second = await registerPasskey(api, headers, newAuthenticator());
    const answers = await Promise.all([api.del(`/auth/passkeys/${passkey.id}`, headers), api.del(`/auth/passkeys/${second.id}`, headers)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    expect((await api.get<{ passkeys: unknown[] }>('/auth/passkeys', headers)).body.passkeys).toHaveLength(1);
  });

  it('needs a recent sign-in to delete', async () => {
    const local = createTestClock();
    const other = await startAuth({ clock: local });
    try {
      const { headers } = await signedInUser(other, 'pk-delete-recent@example.com');
      const first = await registerPasskey(other.api, headers, newAuthenticator());
      await registerPasskey(other.api, headers, newAuthenticator());
      await advanceToSignInAge(other, local, headers, 600_001);
      expect((await other.api.del(`/auth/passkeys/${first.id}`, headers)).body).toMatchObject({ status: 403, code: 'auth:reauthentication_required' });
      expect((await other.api.get<{ passkeys: unknown[] }>('/auth/passkeys', headers)).body.passkeys).toHaveLength(2);
    } finally {
      await other.stop();
    }
  });

  it("retires an unproven holder's passkeys when the mailbox owner first proves the address", async () => {
    const { user, authenticator } = await userWithPasskey('pk-takeover@example.com', { verified: false });
    await auth.core.mailboxProof.verifiedIdentityFor(user.email);
    expect(await auth.rows(sql`select id from passkey_credentials where user_id = ${user.id}`)).toEqual([]);
    expect((await signInWithPasskey(api, authenticator)).body).toMatchObject({ code: 'passkey:unknown_credential' });
    expect(await auditOf(user.id, 'account.ownership_proven')).toEqual([{ outcome: 'success', details: expect.objectContaining({ passkeysRemoved: 1 }) }]);
  });
});

describe('passkey configuration and cross-site requests', () => {
  it('accepts only origins on the RP ID or its subdomains (PUBLIC_URL included)', () => {
    const env = { PASSKEY_RP_ID: 'example.com', PUBLIC_URL: 'https://auth.example.com' };
    expect(loadAuthConfig({ ...env, PASSKEY_ORIGINS: 'https://app.example.com,https://example.com' }).passkeys).toMatchObject({
      rpId: 'example.com',
      origins: ['https://auth.example.com', 'https://app.example.com', 'https://example.com'],
    });
    expect(() => loadAuthConfig({ ...env, PASSKEY_ORIGINS: 'https://app.example.org' })).toThrow(/PASSKEY_ORIGINS/);
    expect(() => loadAuthConfig({ ...env, PASSKEY_ORIGINS: 'https://notexample.com' })).toThrow(/PASSKEY_ORIGINS/);
    expect(() => loadAuthConfig({ PASSKEY_RP_ID: 'example.com', PASSKEY_ORIGINS: 'https://app.example.com', PUBLIC_URL: 'https://auth.example.net' })).toThrow(/PASSKEY_ORIGINS/);
  });

  it("refuses the account page's cookie-carrying writes from another origin, and takes them from the page's own", async () => {
    const { headers, passkey } = await userWithPasskey('pk-cookie-csrf@example.com');
    const cookie = { cookie: `session_token=${headers.authorization.slice('Bearer '.length)}` };
    const foreign = { ...cookie, origin: 'http://evil.example' };
    expect((await api.post('/auth/passkey/register/start', undefined, foreign)).body).toMatchObject({ status: 403, code: 'csrf:origin_not_trusted' });
    expect((await api.patch(`/auth/passkeys/${passkey.id}`, { name: 'pwned' }, foreign)).body).toMatchObject({ status: 403, code: 'csrf:origin_not_trusted' });
    expect((await api.del(`/auth/passkeys/${passkey.id}`, foreign)).body).toMatchObject({ status: 403, code: 'csrf:origin_not_trusted' });
    expect((await api.get<{ passkeys: { name: string }[] }>('/auth/passkeys', headers)).body.passkeys).toEqual([expect.objectContaining({ name: passkey.name })]);
    expect((await api.patch(`/auth/passkeys/${passkey.id}`, { name: 'mine' }, { ...cookie, origin: ORIGIN })).status).toBe(200);
  });

  it('cannot be driven by a cross-site HTML form: a form-encoded assertion is refused before anything is spent', async () => {
    const { authenticator } = await userWithPasskey('pk-form-csrf@example.com');
    const { publicKey } = await startPasskeySignIn(api);
    const assertion = authenticator.assert(publicKey);
    const form = new URLSearchParams({ id: assertion.id, rawId: assertion.rawId, type: 'public-key', response: JSON.stringify(assertion.response) }).toString();
    const answer = await api.post('/auth/passkey/login/finish', form, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(answer.body).toMatchObject({ status: 400, code: 'request:invalid' });
    // The challenge was not spent: the real client can still use it.
    expect((await api.post('/auth/passkey/login/finish', assertion)).status).toBe(200);
  });
});

describe('passkeys in GraphQL', () => {
  it('lists User.passkeys for the user themselves, FORBIDDEN for anyone else', async () => {
    const { user, passkey } = await userWithPasskey('pk-graphql@example.com');
    const mine = await auth.graphql<{ me: { passkeys: { id: string; name: string; deviceType: string; backedUp: boolean; lastUsedAt: string | null }[] } }>(
      '{ me { passkeys { id name deviceType backedUp lastUsedAt } } }',
      { userId: user.id },
    );
    expect(mine.data?.me.passkeys).toEqual([{ id: passkey.id, name: passkey.name, deviceType: 'singleDevice', backedUp: false, lastUsedAt: null }]);
    const stranger = await signedInUser(auth, 'pk-graphql-stranger@example.com');
    const theirs = await auth.graphql(`{ _entities(representations: [{ __typename: "User", id: "${user.id}" }]) { ... on User { passkeys { id } } } }`, {
      userId: stranger.user.id,
    });
    expect(theirs.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'auth:forbidden' });
  });

  it('renames and deletes through mutations; deleting needs a recent sign-in of the calling session', async () => {
    const { user, headers, passkey } = await userWithPasskey('pk-graphql-mutate@example.com');
    const sessionId = (await api.post<{ session_id: string }>('/validate-token', undefined, headers)).body.session_id;
    const viewer = { userId: user.id, sessionId };
    const renamed = await auth.graphql<{ renamePasskey: { name: string } }>(`mutation { renamePasskey(id: "${passkey.id}", name: "Laptop") { name } }`, viewer);
    expect(renamed.data?.renamePasskey).toEqual({ name: 'Laptop' });
    const tooLong = await auth.graphql(`mutation { renamePasskey(id: "${passkey.id}", name: "${'x'.repeat(65)}") { name } }`, viewer);
    expect(tooLong.errors?.[0]?.extensions).toMatchObject({ reason: 'request:invalid' });

    await advanceToSignInAge(auth, clock, headers, 600_001);
    const stale = await auth.graphql(`mutation { deletePasskey(id: "${passkey.id}") }`, viewer);
    expect(stale.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'auth:reauthentication_required' });
    const fresh = (await api.post<{ session_id: string }>('/validate-token', undefined, bearer(await issueDevToken(auth, user.email)))).body.session_id;
    const deleted = await auth.graphql<{ deletePasskey: boolean }>(`mutation { deletePasskey(id: "${passkey.id}") }`, { userId: user.id, sessionId: fresh });
    expect(deleted.data?.deletePasskey).toBe(true);
  });
});
