import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrganizationsTestInstance, type OrganizationsTestInstance } from './organizations-test-instance';

let orgs: OrganizationsTestInstance;
beforeAll(async () => {
  orgs = await startOrganizationsTestInstance();
});
afterAll(() => orgs?.stop());

let sequence = 0;
const deliver = (topic: string, payload: Record<string, unknown>, options: { id?: string; sequence?: number } = {}) =>
  orgs.internal('/internal/events', { id: options.id ?? randomUUID(), topic, payload: { ...payload, sequence: options.sequence ?? (sequence += 1) }, created_at: new Date().toISOString() });

const MEMBERS = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Organization { members { user { id } provisioned active } groups { displayName members { id } } } } }';

async function view(owner: { id: string; email: string }, organizationId: string) {
  const result = await orgs.graphql<{ _entities: { members: { user: { id: string }; provisioned: boolean; active: boolean }[]; groups: unknown[] }[] }>(owner, MEMBERS, {
    r: [{ __typename: 'Organization', id: organizationId }],
  });
  return result.data!._entities[0]!;
}

describe('SCIM provisioning events from the scim service', () => {
  it('a provisioned user becomes a member; deactivation and reactivation flip active; deletion removes', async () => {
    const owner = orgs.newUser('owner');
    const { id } = await orgs.createOrganization(owner);
    const userId = randomUUID();
    const base = { organization_id: id, user_id: userId };
    expect((await deliver('scim.user.provisioned', { ...base, active: true })).body).toEqual({ status: 'applied' });
    expect((await view(owner, id)).members).toContainEqual({ user: { id: userId }, provisioned: true, active: true });
    await deliver('scim.user.deactivated', { ...base, active: false });
    expect((await view(owner, id)).members).toContainEqual({ user: { id: userId }, provisioned: true, active: false });
    await deliver('scim.user.reactivated', { ...base, active: true });
    expect((await view(owner, id)).members).toContainEqual({ user: { id: userId }, provisioned: true, active: true });
    await deliver('scim.user.deleted', base);
    expect((await view(owner, id)).members.map((m) => m.user.id)).toEqual([owner.id]);
  });

  it('applies each event once however often it is delivered, and ignores one older than what was applied', async () => {
    const owner = orgs.newUser('owner');
    const { id } = await orgs.createOrganization(owner);
    const userId = randomUUID();
    const base = { organization_id: id, user_id: userId };
    const eventId = randomUUID();
    expect((await deliver('scim.user.provisioned', { ...base, active: true }, { id: eventId, sequence: 1_000_000 })).body).toEqual({ status: 'applied' });
    expect((await deliver('scim.user.provisioned', { ...base, active: true }, { id: eventId, sequence: 1_000_000 })).body).toEqual({ status: 'duplicate' });
    // A late deactivation, older than the provisioning already applied, changes nothing.
    await deliver('scim.user.deactivated', { ...base, active: false }, { sequence: 999_999 });
    expect((await view(owner, id)).members).toContainEqual({ user: { id: userId }, provisioned: true, active: true });
    await deliver('scim.user.deactivated', { ...base, active: false }, { sequence: 1_000_001 });
    expect((await view(owner, id)).members).toContainEqual({ user: { id: userId }, provisioned: true, active: false });
  });

  it('groups appear with their members, follow the newest state, and disappear when deleted', async () => {
    const owner = orgs.newUser('owner');
    const { id } = await orgs.createOrganization(owner);
    const groupId = randomUUID();
    const [a, b] = [randomUUID(), randomUUID()].sort();
    const group = { organization_id: id, group_id: groupId, display_name: 'Engineering', external_id: null };
    await deliver('scim.group.updated', { ...group, member_user_ids: [a, b] }, { sequence: 2_000_000 });
    expect((await view(owner, id)).groups).toEqual([{ displayName: 'Engineering', members: [{ id: a }, { id: b }] }]);
    await deliver('scim.group.updated', { ...group, display_name: 'Old name', member_user_ids: [] }, { sequence: 1_999_999 });
    expect((await view(owner, id)).groups).toEqual([{ displayName: 'Engineering', members: [{ id: a }, { id: b }] }]);
    await deliver('scim.group.deleted', { organization_id: id, group_id: groupId }, { sequence: 2_000_001 });
    expect((await view(owner, id)).groups).toEqual([]);
  });

  it('an event for one organization cannot take over another organization\'s group', async () => {
    const owner = orgs.newUser('owner');
    const victim = await orgs.createOrganization(owner);
    const attacker = await orgs.createOrganization(orgs.newUser('attacker'));
    const groupId = randomUUID();
    await deliver('scim.group.updated', { organization_id: victim.id, group_id: groupId, display_name: 'Finance', external_id: null, member_user_ids: [] });
    await deliver('scim.group.updated', { organization_id: attacker.id, group_id: groupId, display_name: 'Pwned', external_id: null, member_user_ids: [randomUUID()] });
    await deliver('scim.group.deleted', { organization_id: attacker.id, group_id: groupId });
    expect((await view(owner, victim.id)).groups).toEqual([{ displayName: 'Finance', members: [] }]);
  });

  it('acknowledges unknown topics and rejects malformed events with 400', async () => {
    expect((await deliver('scim.user.renamed', {})).body).toEqual({ status: 'ignored' });
    expect((await deliver('scim.user.provisioned', { organization_id: 'nope', user_id: randomUUID() })).status).toBe(400);
    expect((await orgs.internal('/internal/events', { id: randomUUID(), topic: 'scim.user.provisioned' })).status).toBe(400);
  });

  it('refuses calls without an internal token', async () => {
    const response = await fetch(`${orgs.url}/internal/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(401);
  });
});
