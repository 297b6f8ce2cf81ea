import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrganizationsTestInstance, type OrganizationsTestInstance } from './organizations-test-instance';

let orgs: OrganizationsTestInstance;
beforeAll(async () => {
  orgs = await startOrganizationsTestInstance();
});
afterAll(() => orgs?.stop());

const ROLE_QUERY = 'mutation($o: ID!, $u: ID!, $r: OrganizationRole!) { changeMemberRole(organizationId: $o, userId: $u, role: $r) { role } }';

describe('tenant isolation of organizations', () => {
  it('a non-member cannot read the organization by slug, its members, or the Organization entity', async () => {
    const owner = orgs.newUser('owner');
    const stranger = orgs.newUser('stranger');
    const organization = await orgs.createOrganization(owner);
    const bySlug = '{ organization(slug: "SLUG") { id members { role } } }'.replace('SLUG', organization.slug);
    expect((await orgs.graphql(owner, bySlug)).data).toEqual({ organization: { id: organization.id, members: [{ role: 'OWNER' }] } });
    expect((await orgs.graphql(stranger, bySlug)).data).toEqual({ organization: null });

    const entities = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Organization { id name members { role } domains { domain } groups { id } } } }';
    const representations = { r: [{ __typename: 'Organization', id: organization.id }] };
    expect((await orgs.graphql(owner, entities, representations)).data).toEqual({
      _entities: [{ id: organization.id, name: 'Acme', members: [{ role: 'OWNER' }], domains: [], groups: [] }],
    });
    const asStranger = await orgs.graphql(stranger, entities, representations);
    expect(asStranger.errors).toBeUndefined();
    expect(asStranger.data).toEqual({ _entities: [null] });
    const anonymous = await orgs.graphql(null, entities, representations);
    expect(anonymous.data).toEqual({ _entities: [null] });
  });

  it('User.organizations shows a user their own organizations and nobody else\'s', async () => {
    const owner = orgs.newUser('owner');
    const other = orgs.newUser('other');
    const organization = await orgs.createOrganization(owner);
    const query = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { organizations { id } } } }';
    const representations = { r: [{ __typename: 'User', id: owner.id }] };
    expect((await orgs.graphql(owner, query, representations)).data).toEqual({ _entities: [{ organizations: [{ id: organization.id }] }] });
    expect((await orgs.graphql(other, query, representations)).data).toEqual({ _entities: [{ organizations: [] }] });
  });

  it('answers an organization id that is not yours like one that does not exist', async () => {
    const owner = orgs.newUser('owner');
    const stranger = orgs.newUser('stranger');
    const organization = await orgs.createOrganization(owner);
    const invite = 'mutation($o: ID!) { inviteMember(organizationId: $o, email: "x@example.com") { id } }';
    expect((await orgs.graphql(stranger, invite, { o: organization.id })).code).toBe('organization:not_found');
    expect((await orgs.graphql(stranger, invite, { o: '00000000-0000-4000-8000-000000000000' })).code).toBe('organization:not_found');
  });
});

describe('federation batching', () => {
  it('resolves members of many organizations with one query per level, not one per organization', async () => {
    const owner = orgs.newUser('owner');
    const ids = [];
    for (let i = 0; i < 6; i += 1) ids.push((await orgs.createOrganization(owner)).id);
    const query = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Organization { id members { role } domains { domain } groups { id } } } }';
    const representations = { r: ids.map((id) => ({ __typename: 'Organization', id })) };
    const before = orgs.queries.count;
    const result = await orgs.graphql<{ _entities: { id: string }[] }>(owner, query, representations);
    expect(result.data?._entities.map((entity) => entity.id)).toEqual(ids);
    // viewer memberships, organizations, members, domains, groups: 5, whatever the number of organizations.
    expect(orgs.queries.count - before).toBe(5);
  });
});

describe('roles, leaving and removing', () => {
  it('owners and admins manage members; an admin cannot touch an owner; members cannot manage', async () => {
    const owner = orgs.newUser('owner');
    const admin = orgs.newUser('admin');
    const member = orgs.newUser('member');
    const { id } = await orgs.createOrganization(owner);
    await orgs.join(id, owner, admin, 'ADMIN');
    await orgs.join(id, admin, member, 'MEMBER');

    expect((await orgs.graphql(member, ROLE_QUERY, { o: id, u: admin.id, r: 'MEMBER' })).code).toBe('organization:forbidden');
    expect((await orgs.graphql(admin, ROLE_QUERY, { o: id, u: owner.id, r: 'MEMBER' })).code).toBe('organization:forbidden');
    expect((await orgs.graphql(admin, ROLE_QUERY, { o: id, u: member.id, r: 'OWNER' })).code).toBe('organization:forbidden');
    expect((await orgs.graphql(admin, ROLE_QUERY, { o: id, u: member.id, r: 'ADMIN' })).data).toEqual({ changeMemberRole: { role: 'ADMIN' } });
    expect((await orgs.graphql(owner, ROLE_QUERY, { o: id, u: member.id, r: 'OWNER' })).data).toEqual({ changeMemberRole: { role: 'OWNER' } });
  });

  it('keeps at least one owner: the last owner can neither leave, be demoted nor removed', async () => {
    const owner = orgs.newUser('owner');
    const admin = orgs.newUser('admin');
    const { id } = await orgs.createOrganization(owner);
    await orgs.join(id, owner, admin, 'ADMIN');
    expect((await orgs.graphql(owner, 'mutation($o: ID!) { leaveOrganization(organizationId: $o) }', { o: id })).code).toBe('organization:last_owner');
    expect((await orgs.graphql(owner, ROLE_QUERY, { o: id, u: owner.id, r: 'ADMIN' })).code).toBe('organization:last_owner');
    // With a second owner, the first may go.
    await orgs.graphql(owner, ROLE_QUERY, { o: id, u: admin.id, r: 'OWNER' });
    expect((await orgs.graphql(owner, 'mutation($o: ID!) { leaveOrganization(organizationId: $o) }', { o: id })).data).toEqual({ leaveOrganization: true });
    expect((await orgs.graphql(admin, 'mutation($o: ID!, $u: ID!) { removeMember(organizationId: $o, userId: $u) }', { o: id, u: admin.id })).code).toBe(
      'organization:last_owner',
    );
  });

  it('two owners demoting each other at the same moment leave one owner', async () => {
    const first = orgs.newUser('first');
    const second = orgs.newUser('second');
    const { id } = await orgs.createOrganization(first);
    await orgs.join(id, first, second, 'ADMIN');
    await orgs.graphql(first, ROLE_QUERY, { o: id, u: second.id, r: 'OWNER' });
    const results = await Promise.all([
      orgs.graphql(first, ROLE_QUERY, { o: id, u: second.id, r: 'MEMBER' }),
      orgs.graphql(second, ROLE_QUERY, { o: id, u: first.id, r: 'MEMBER' }),
    ]);
    const { rows } = await orgs.pool.query(`select count(*)::int as n from memberships where organization_id = $1 and role = 'owner'`, [id]);
    expect(rows[0].n).toBe(1);
    expect(results.filter((result) => result.errors === undefined)).toHaveLength(1);
  });

  it('a removed member loses access at once', async () => {
    const owner = orgs.newUser('owner');
    const member = orgs.newUser('member');
    const organization = await orgs.createOrganization(owner);
    await orgs.join(organization.id, owner, member, 'MEMBER');
    const read = `{ organization(slug: "${organization.slug}") { id } }`;
    expect((await orgs.graphql(member, read)).data).toEqual({ organization: { id: organization.id } });
    await orgs.graphql(owner, 'mutation($o: ID!, $u: ID!) { removeMember(organizationId: $o, userId: $u) }', { o: organization.id, u: member.id });
    expect((await orgs.graphql(member, read)).data).toEqual({ organization: null });
  });
});
