import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@malet/testing';
import { loadOrganizationsConfig } from '../src/config';
import { startOrganizationsTestInstance, type OrganizationsTestInstance } from './organizations-test-instance';

let orgs: OrganizationsTestInstance;
beforeAll(async () => {
  orgs = await startOrganizationsTestInstance();
});
afterAll(() => orgs?.stop());

const INVITE = 'mutation($o: ID!, $e: String!) { inviteMember(organizationId: $o, email: $e) { id status expiresAt } }';
const ACCEPT = 'mutation($t: String!) { acceptInvitation(token: $t) { id } }';

describe('invitations by email', () => {
  it('mails a token that only the invited address can spend, once; the token is stored hashed', async () => {
    const owner = orgs.newUser('owner');
    const invitee = orgs.newUser('invitee');
    const intruder = orgs.newUser('intruder');
    const { id } = await orgs.createOrganization(owner);
    const { token } = await orgs.invite(owner, id, invitee);
    const { rows } = await orgs.pool.query('select token_hash from invitations where organization_id = $1', [id]);
    expect(JSON.stringify(rows)).not.toContain(token.slice(4));

    expect((await orgs.graphql(intruder, ACCEPT, { t: token })).code).toBe('invitation:not_found');
    expect((await orgs.graphql(invitee, ACCEPT, { t: token })).data).toEqual({ acceptInvitation: { id } });
    expect((await orgs.graphql(invitee, ACCEPT, { t: token })).code).toBe('invitation:not_found');
  });

  it('expires: accepted just before the deadline, refused just after it', async () => {
    const owner = orgs.newUser('owner');
    const { id } = await orgs.createOrganization(owner);
    const early = orgs.newUser('early');
    const late = orgs.newUser('late');
    const before = await orgs.invite(owner, id, early);
    const after = await orgs.invite(owner, id, late);
    await orgs.pool.query(`update invitations set expires_at = now() + interval '5 seconds' where id = $1`, [before.id]);
    await orgs.pool.query(`update invitations set expires_at = now() - interval '1 millisecond' where id = $1`, [after.id]);
    expect((await orgs.graphql(early, ACCEPT, { t: before.token })).errors).toBeUndefined();
    expect((await orgs.graphql(late, ACCEPT, { t: after.token })).code).toBe('invitation:not_found');
    const listed = await orgs.graphql<{ organization: { invitations: { id: string; status: string }[] } }>(
      owner,
      `{ organization(slug: "${(await orgs.pool.query('select slug from organizations where id = $1', [id])).rows[0].slug}") { invitations { id status } } }`,
    );
    const statuses = Object.fromEntries(listed.data!.organization.invitations.map((i) => [i.id, i.status]));
    expect(statuses).toEqual({ [before.id]: 'ACCEPTED', [after.id]: 'EXPIRED' });
  });

  it('a revoked invitation cannot be accepted, and only managers of that organization can revoke', async () => {
    const owner = orgs.newUser('owner');
    const invitee = orgs.newUser('invitee');
    const stranger = orgs.newUser('stranger');
    const { id } = await orgs.createOrganization(owner);
    const invitation = await orgs.invite(owner, id, invitee);
    expect((await orgs.graphql(stranger, 'mutation($i: ID!) { revokeInvitation(id: $i) { status } }', { i: invitation.id })).code).toBe('invitation:not_found');
    expect((await orgs.graphql(owner, 'mutation($i: ID!) { revokeInvitation(id: $i) { status } }', { i: invitation.id })).data).toEqual({
      revokeInvitation: { status: 'REVOKED' },
    });
    expect((await orgs.graphql(invitee, ACCEPT, { t: invitation.token })).code).toBe('invitation:not_found');
  });

  it('refuses a malformed email with 400 and stores nothing: no invitation, no queued mail', async () => {
    const owner = orgs.newUser('owner');
    const { id } = await orgs.createOrganization(owner);
    const result = await orgs.graphql(owner, INVITE, { o: id, e: 'not-an-email' });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    // Mail leaves only through the outbox, so an empty outbox proves none will be sent.
    expect((await orgs.pool.query(`select 1 from mail_outbox where "to" = 'not-an-email'`)).rowCount).toBe(0);
    expect((await orgs.pool.query('select 1 from invitations where organization_id = $1', [id])).rowCount).toBe(0);
  });

  it('an SMTP outage does not fail the invitation: it is created at once, and its mail arrives once SMTP is back', async () => {
    const owner = orgs.newUser('owner');
    const invitee = orgs.newUser('invitee');
    const { id } = await orgs.createOrganization(owner);
    await orgs.stopSmtp();
    try {
      const invited = await orgs.graphql<{ inviteMember: { id: string; status: string } }>(owner, INVITE, { o: id, e: invitee.email });
      expect(invited.errors).toBeUndefined();
      expect(invited.data!.inviteMember.status).toBe('PENDING');
      // The relay tried while nothing listened, recorded the failure and kept the mail for a retry.
      const failed = await waitFor(
        async () => (await orgs.pool.query('select attempts, sent_at from mail_outbox where "to" = $1 and last_error is not null', [invitee.email])).rows[0],
        { what: 'a failed delivery attempt' },
      );
      expect(failed).toMatchObject({ sent_at: null, attempts: expect.any(Number) });
      expect((await orgs.pool.query('select revoked_at from invitations where id = $1', [invited.data!.inviteMember.id])).rows).toEqual([{ revoked_at: null }]);
    } finally {
      await orgs.startSmtpAgain();
    }

    const mail = await orgs.smtp.waitForMail(invitee.email, () => true, 60_000);
    const token = /inv_[A-Za-z0-9_-]{43}/.exec(mail.text)![0];
    expect((await orgs.graphql(invitee, ACCEPT, { t: token })).data).toEqual({ acceptInvitation: { id } });
    const { rows } = await orgs.pool.query('select sent_at from mail_outbox where "to" = $1', [invitee.email]);
    expect(rows).toHaveLength(1);
    expect(rows[0].sent_at).not.toBeNull();
    expect(orgs.smtp.messages.filter((message) => message.to.includes(invitee.email))).toHaveLength(1);
  }, 90_000);

  it('stores the invitation and its mail atomically: when the mail cannot be queued there is no invitation, and the client is told', async () => {
    const owner = orgs.newUser('owner');
    const refused = orgs.newUser('refused');
    const accepted = orgs.newUser('accepted');
    const { id } = await orgs.createOrganization(owner);
    // The database itself refuses this one recipient's mail, after the invitation's insert ran in the same transaction.
    await orgs.pool.query(`alter table mail_outbox add constraint test_refuses_one_recipient check ("to" <> '${refused.email}')`);
    try {
      const result = await orgs.graphql(owner, INVITE, { o: id, e: refused.email });
      expect(result.data).toBeNull();
      expect(result.errors?.[0]).toMatchObject({
        message: 'The invitation email could not be queued; no invitation was created',
        extensions: { code: 'SERVICE_UNAVAILABLE', reason: 'mail:unavailable' },
      });
      expect((await orgs.pool.query('select 1 from invitations where email = $1', [refused.email])).rowCount).toBe(0);
      expect((await orgs.pool.query('select 1 from mail_outbox where "to" = $1', [refused.email])).rowCount).toBe(0);

      // Just beside the refused address, under the same constraint, an invitation is made and mailed.
      const beside = await orgs.invite(owner, id, accepted);
      expect((await orgs.pool.query('select email from invitations where id = $1', [beside.id])).rows).toEqual([{ email: accepted.email }]);
    } finally {
      await orgs.pool.query('alter table mail_outbox drop constraint test_refuses_one_recipient');
    }
    // Once the database takes the mail again, the same address is invited and mailed.
    const retried = await orgs.invite(owner, id, refused);
    expect((await orgs.graphql(refused, ACCEPT, { t: retried.token })).data).toEqual({ acceptInvitation: { id } });
  });
});

const ADD_DOMAIN = 'mutation($o: ID!, $d: String!) { addDomain(organizationId: $o, domain: $d) { id domain verified txtRecordName txtRecordValue } }';
const VERIFY = 'mutation($i: ID!) { verifyDomain(id: $i) { verified } }';

describe('verified email domains (DNS TXT proof through a real DNS server)', () => {
  it('verifies only once the TXT record is published with the right value', async () => {
    const owner = orgs.newUser('owner');
    const { id } = await orgs.createOrganization(owner);
    const domain = `acme-${randomUUID().slice(0, 8)}.test`;
    const added = (await orgs.graphql<{ addDomain: { id: string; txtRecordName: string; txtRecordValue: string; verified: boolean } }>(owner, ADD_DOMAIN, { o: id, d: domain.toUpperCase() })).data!.addDomain;
    expect(added).toMatchObject({ verified: false, txtRecordName: `_malet-challenge.${domain}` });

    expect((await orgs.graphql(owner, VERIFY, { i: added.id })).code).toBe('domain:proof_missing');
    orgs.dns.records.set(added.txtRecordName, ['malet-domain-verification=wrong']);
    expect((await orgs.graphql(owner, VERIFY, { i: added.id })).code).toBe('domain:proof_missing');
    orgs.dns.records.set(added.txtRecordName, ['v=spf1 -all', added.txtRecordValue]);
    expect((await orgs.graphql(owner, VERIFY, { i: added.id })).data).toEqual({ verifyDomain: { verified: true } });
  });

  it('a domain verified by one organization cannot be verified by another', async () => {
    const first = orgs.newUser('first');
    const second = orgs.newUser('second');
    const a = await orgs.createOrganization(first);
    const b = await orgs.createOrganization(second);
    const domain = `shared-${randomUUID().slice(0, 8)}.test`;
    const claimA = (await orgs.graphql<{ addDomain: { id: string; txtRecordName: string; txtRecordValue: string } }>(first, ADD_DOMAIN, { o: a.id, d: domain })).data!.addDomain;
    const claimB = (await orgs.graphql<{ addDomain: { id: string; txtRecordValue: string } }>(second, ADD_DOMAIN, { o: b.id, d: domain })).data!.addDomain;
    orgs.dns.records.set(claimA.txtRecordName, [claimA.txtRecordValue, claimB.txtRecordValue]);
    expect((await orgs.graphql(first, VERIFY, { i: claimA.id })).data).toEqual({ verifyDomain: { verified: true } });
    expect((await orgs.graphql(second, VERIFY, { i: claimB.id })).code).toBe('domain:taken');
    expect((await orgs.graphql(second, VERIFY, { i: claimA.id })).code).toBe('domain:not_found');
  });

  it('rejects invalid domains with 400', async () => {
    const owner = orgs.newUser('owner');
    const { id } = await orgs.createOrganization(owner);
    for (const domain of ['localhost', 'exa mple.com', '-bad.com', `${'a'.repeat(64)}.com`]) {
      expect((await orgs.graphql(owner, ADD_DOMAIN, { o: id, d: domain })).errors?.[0]?.extensions?.code, domain).toBe('BAD_USER_INPUT');
    }
  });

  it('the dev flag that skips the proof verifies without DNS, and production refuses the flag', async () => {
    const dev = await startOrganizationsTestInstance({ DOMAIN_VERIFICATION_SKIP_PROOF: 'true' });
    try {
      const owner = dev.newUser('owner');
      const { id } = await dev.createOrganization(owner);
      const added = (await dev.graphql<{ addDomain: { id: string } }>(owner, ADD_DOMAIN, { o: id, d: 'no-dns-record.test' })).data!.addDomain;
      expect((await dev.graphql(owner, VERIFY, { i: added.id })).data).toEqual({ verifyDomain: { verified: true } });
    } finally {
      await dev.stop();
    }
    const production = { NODE_ENV: 'production', INTERNAL_TOKEN_SECRET: 'p'.repeat(40) };
    expect(() => loadOrganizationsConfig({ ...production, DOMAIN_VERIFICATION_SKIP_PROOF: 'true' })).toThrow(/DOMAIN_VERIFICATION_SKIP_PROOF/);
    expect(() => loadOrganizationsConfig(production)).not.toThrow();
  });
});

const CREATE_TOKEN = 'mutation($o: ID!, $n: String!) { createScimToken(organizationId: $o, name: $n) { id name token createdAt } }';

describe('SCIM tokens', () => {
  it('are shown once with the scim_ prefix, listed without the token, stored hashed, and verify until revoked', async () => {
    const owner = orgs.newUser('owner');
    const { id } = await orgs.createOrganization(owner);
    const created = (await orgs.graphql<{ createScimToken: { id: string; token: string } }>(owner, CREATE_TOKEN, { o: id, n: 'Okta' })).data!.createScimToken;
    expect(created.token).toMatch(/^scim_[A-Za-z0-9_-]{43}$/);
    const { rows } = await orgs.pool.query('select * from scim_tokens where id = $1', [created.id]);
    expect(JSON.stringify(rows)).not.toContain(created.token.slice(5));

    expect(await orgs.internal('/internal/scim-tokens/verify', { token: created.token })).toEqual({
      status: 200,
      body: { organization_id: id, token_id: created.id, verified_domains: [] },
    });
    const listed = await orgs.graphql<{ scimTokens: Record<string, unknown>[] }>(owner, 'query($o: ID!) { scimTokens(organizationId: $o) { id name lastUsedAt revokedAt } }', { o: id });
    expect(listed.data!.scimTokens).toEqual([{ id: created.id, name: 'Okta', lastUsedAt: expect.any(String), revokedAt: null }]);
    expect(JSON.stringify(listed)).not.toContain(created.token);

    expect((await orgs.graphql(owner, 'mutation($i: ID!) { revokeScimToken(id: $i) { revokedAt } }', { i: created.id })).data).toEqual({
      revokeScimToken: { revokedAt: expect.any(String) },
    });
    expect((await orgs.internal('/internal/scim-tokens/verify', { token: created.token })).status).toBe(401);
    expect((await orgs.internal('/internal/scim-tokens/verify', { token: 'scim_nope' })).status).toBe(401);
  });

  it('only owners and admins of that organization may mint, list or revoke them', async () => {
    const owner = orgs.newUser('owner');
    const member = orgs.newUser('member');
    const stranger = orgs.newUser('stranger');
    const { id } = await orgs.createOrganization(owner);
    const invitation = await orgs.invite(owner, id, member);
    await orgs.graphql(member, ACCEPT, { t: invitation.token });
    expect((await orgs.graphql(member, CREATE_TOKEN, { o: id, n: 'x' })).code).toBe('organization:forbidden');
    expect((await orgs.graphql(stranger, CREATE_TOKEN, { o: id, n: 'x' })).code).toBe('organization:not_found');
    expect((await orgs.graphql(member, 'query($o: ID!) { scimTokens(organizationId: $o) { id } }', { o: id })).code).toBe('organization:forbidden');
    const created = (await orgs.graphql<{ createScimToken: { id: string } }>(owner, CREATE_TOKEN, { o: id, n: 'Entra' })).data!.createScimToken;
    expect((await orgs.graphql(member, 'mutation($i: ID!) { revokeScimToken(id: $i) { id } }', { i: created.id })).code).toBe('organization:forbidden');
    expect((await orgs.graphql(stranger, 'mutation($i: ID!) { revokeScimToken(id: $i) { id } }', { i: created.id })).code).toBe('scim_token:not_found');
  });

  it('verification reports the organization\'s verified domains', async () => {
    const owner = orgs.newUser('owner');
    const { id } = await orgs.createOrganization(owner);
    const domain = `tok-${randomUUID().slice(0, 8)}.test`;
    const added = (await orgs.graphql<{ addDomain: { id: string; txtRecordName: string; txtRecordValue: string } }>(owner, ADD_DOMAIN, { o: id, d: domain })).data!.addDomain;
    orgs.dns.records.set(added.txtRecordName, [added.txtRecordValue]);
    await orgs.graphql(owner, VERIFY, { i: added.id });
    const created = (await orgs.graphql<{ createScimToken: { token: string } }>(owner, CREATE_TOKEN, { o: id, n: 'Okta' })).data!.createScimToken;
    expect((await orgs.internal('/internal/scim-tokens/verify', { token: created.token })).body.verified_domains).toEqual([domain]);
  });
});
