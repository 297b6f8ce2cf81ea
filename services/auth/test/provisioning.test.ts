import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createInternalTokenSigner, INTERNAL_TOKEN_HEADER } from '@malet/internal-auth';
import { listenForRevocations, requestCode, requestMagicLink, signedInUser, startAuthForFile } from './support';

const { auth, api } = startAuthForFile();

/** A call from the SCIM service: an internal token from the same secret. */
async function fromScim(path: string, body: unknown) {
  const sign = createInternalTokenSigner({ secret: auth.config.internalTokenSecret, issuer: 'scim' });
  return api.post<Record<string, unknown>>(path, body, { [INTERNAL_TOKEN_HEADER]: await sign() });
}

let sequence = 0;
const deliver = (topic: string, payload: Record<string, unknown>, options: { id?: string; sequence?: number } = {}) =>
  fromScim('/internal/events', { id: options.id ?? randomUUID(), topic, payload: { ...payload, sequence: options.sequence ?? (sequence += 1) }, created_at: new Date().toISOString() });

async function signInWithCode(email: string) {
  const code = await requestCode(api, auth.mail, email);
  return api.post<Record<string, unknown>>('/auth/email/login/finish', { email, code });
}

describe('identities for SCIM-provisioned emails', () => {
  it('creates an identity once and reuses it for the same email, whatever its case', async () => {
    const organizationId = randomUUID();
    const email = `new-${randomUUID().slice(0, 8)}@acme.test`;
    const first = await fromScim('/internal/provisioning/identities', { email, organization_id: organizationId, display_name: 'Ada Lovelace' });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ user_id: expect.any(String), created: true });
    const again = await fromScim('/internal/provisioning/identities', { email: email.toUpperCase(), organization_id: organizationId });
    expect(again.body).toEqual({ user_id: first.body.user_id, created: false });
    const events = await auth.rows(sql`select topic, payload from outbox where payload->>'user_id' = ${first.body.user_id as string} and topic like 'user.%' order by created_at`);
    expect(events.map((event) => event.topic)).toEqual(['user.created', 'user.updated']);
    expect(events[1]!.payload).toMatchObject({ display_name: 'Ada Lovelace' });
  });

  it('reuses an existing account, which the organization\'s proven domain now vouches for', async () => {
    const email = `existing-${randomUUID().slice(0, 8)}@acme.test`;
    const { identity } = await auth.identities.createWithEvent({ email });
    const answer = await fromScim('/internal/provisioning/identities', { email, organization_id: randomUUID() });
    expect(answer.body).toEqual({ user_id: identity.id, created: false });
    expect((await auth.identities.findById(identity.id))?.emailVerifiedAt).not.toBeNull();
  });

  it('answers only internal callers, and bad input with 400', async () => {
    const anonymous = await api.post('/internal/provisioning/identities', { email: 'x@acme.test', organization_id: randomUUID() });
    expect(anonymous.status).toBe(401);
    expect((await fromScim('/internal/provisioning/identities', { email: 'not-an-email', organization_id: randomUUID() })).status).toBe(400);
    expect((await fromScim('/internal/provisioning/identities', { email: 'x@acme.test' })).status).toBe(400);
    expect((await api.post('/internal/events', { id: randomUUID(), topic: 'scim.user.deleted', payload: {}, created_at: '' })).status).toBe(401);
  });
});

describe('deprovisioning events from SCIM', () => {
  it('deactivation revokes every session (published to the gateways) and refuses sign-in; reactivation allows it again', async () => {
    const revocations = await listenForRevocations();
    try {
      const email = `leaver-${randomUUID().slice(0, 8)}@acme.test`;
      const { user, token, headers } = await signedInUser(auth, email);
      const organizationId = randomUUID();
      const base = { organization_id: organizationId, user_id: user.id };
      expect((await deliver('scim.user.provisioned', { ...base, active: true })).body).toEqual({ status: 'applied' });
      expect((await api.get('/me', headers)).status).toBe(200);

      expect((await deliver('scim.user.deactivated', { ...base, active: false })).body).toEqual({ status: 'applied' });
      await revocations.published(token);
      expect((await api.get('/me', headers)).status).toBe(401);
      const refused = await signInWithCode(email);
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ code: 'auth:account_deactivated' });
      expect(refused.body).not.toHaveProperty('session_token');

      await deliver('scim.user.reactivated', { ...base, active: true });
      const allowed = await signInWithCode(email);
      expect(allowed.status).toBe(200);
      expect(allowed.body.session_token).toEqual(expect.any(String));
    } finally {
      revocations.stop();
    }
  });

  it('ignores an event older than the last one applied, and applies a redelivered one once', async () => {
    const email = `late-${randomUUID().slice(0, 8)}@acme.test`;
    const { user } = await signedInUser(auth, email);
    const base = { organization_id: randomUUID(), user_id: user.id };
    const eventId = randomUUID();
    expect((await deliver('scim.user.provisioned', { ...base, active: true }, { id: eventId, sequence: 5_000_000 })).body).toEqual({ status: 'applied' });
    expect((await deliver('scim.user.provisioned', { ...base, active: true }, { id: eventId, sequence: 5_000_000 })).body).toEqual({ status: 'duplicate' });
    // A deactivation older than the provisioning already applied changes nothing.
    await deliver('scim.user.deactivated', { ...base, active: false }, { sequence: 4_999_999 });
    expect((await signInWithCode(email)).status).toBe(200);
    await deliver('scim.user.deactivated', { ...base, active: false }, { sequence: 5_000_001 });
    expect((await signInWithCode(email)).status).toBe(403);
  });

  it('a deleted user is refused by every sign-in method (emailed code, magic link)', async () => {
    const email = `deleted-${randomUUID().slice(0, 8)}@acme.test`;
    const { user, headers } = await signedInUser(auth, email);
    await deliver('scim.user.provisioned', { organization_id: randomUUID(), user_id: user.id, active: true });
    const organizationId = randomUUID();
    await deliver('scim.user.deleted', { organization_id: organizationId, user_id: user.id, active: true });
    expect((await api.get('/me', headers)).status).toBe(401);
    expect((await signInWithCode(email)).status).toBe(403);
    const { token } = await requestMagicLink(api, auth.mail, email);
    const viaLink = await api.post('/auth/magic-link/verify', { token });
    expect(viaLink.status).toBe(403);
    expect(viaLink.body).toMatchObject({ code: 'auth:account_deactivated' });
  });

  it('acknowledges unknown topics and unknown users, and rejects malformed events with 400', async () => {
    expect((await deliver('scim.group.updated', {})).body).toEqual({ status: 'ignored' });
    expect((await deliver('scim.user.deactivated', { organization_id: randomUUID(), user_id: randomUUID(), active: false })).body).toEqual({ status: 'applied' });
    expect((await deliver('scim.user.deactivated', { organization_id: 'x', user_id: randomUUID() })).status).toBe(400);
  });
});
