import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@malet/testing';
import { newUser, startScimSuite, type ScimSuite, type ScimTenant } from './scim-suite';
import { expectScimError, expectValidDiscovery, expectValidList, expectValidResource } from './scim-validators';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

let scim: ScimSuite;
let acme: ScimTenant;
let globex: ScimTenant;
beforeAll(async () => {
  scim = await startScimSuite();
  acme = await scim.tenant('user@example.com');
  globex = await scim.tenant('admin@example.com');
});
afterAll(() => scim?.stop());

async function createUser(tenant: ScimTenant, overrides: Record<string, unknown> = {}) {
  const created = await scim.scim(tenant, 'POST', '/Users', newUser(tenant, overrides));
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body as { id: string; userName: string; meta: { version: string; location: string } };
}

async function createGroup(tenant: ScimTenant, displayName: string, memberIds: string[] = []) {
  const created = await scim.scim(tenant, 'POST', '/Groups', { schemas: [GROUP], displayName, members: memberIds.map((value) => ({ value })) });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body as { id: string; meta: { version: string } };
}

describe('discovery', () => {
  it('is public, application/scim+json, valid for scimmy, and names only what is supported', async () => {
    const config = await scim.scim(null, 'GET', '/ServiceProviderConfig');
    const types = await scim.scim(null, 'GET', '/ResourceTypes');
    const schemas = await scim.scim(null, 'GET', '/Schemas');
    for (const response of [config, types, schemas]) {
      expect(response.status).toBe(200);
      expect(response.contentType).toMatch(/^application\/scim\+json/);
    }
    expectValidDiscovery(config.body, types.body);
    expect(config.body).toMatchObject({ patch: { supported: true }, filter: { supported: true, maxResults: 200 }, etag: { supported: true }, bulk: { supported: false }, sort: { supported: false } });
    const userType = (types.body.Resources as { id: string; schemaExtensions: unknown[] }[]).find((type) => type.id === 'User');
    expect(userType?.schemaExtensions).toEqual([{ schema: ENTERPRISE, required: false }]);
    const userSchema = (schemas.body.Resources as { id: string; attributes: { name: string }[] }[]).find((schema) => schema.id.endsWith('core:2.0:User'))!;
    const names = userSchema.attributes.map((attribute) => attribute.name);
    expect(names).toEqual(expect.arrayContaining(['userName', 'name', 'active', 'emails']));
    expect(names).not.toContain('password');
    expect(names).not.toContain('groups');
    const one = await scim.scim(null, 'GET', `/Schemas/${ENTERPRISE}`);
    expect(one.status).toBe(200);
  });
});

describe('authentication', () => {
  it('refuses a missing, malformed or revoked token with 401 in the SCIM error schema', async () => {
    const missing = await scim.scim(null, 'GET', '/Users');
    expectScimError(missing, 401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expectScimError(await scim.scim({ token: 'scim_' + 'x'.repeat(43) }, 'GET', '/Users'), 401);
    expectScimError(await scim.scim({ token: 'not-a-token' }, 'GET', '/Users'), 401);

    const temporary = await scim.tenant('user@example.com');
    expect((await scim.scim(temporary, 'GET', '/Users')).status).toBe(200);
    const listed = await scim.suite.graphql<{ scimTokens: { id: string }[] }>('query($o: ID!) { scimTokens(organizationId: $o) { id } }', {
      token: temporary.ownerSession,
      variables: { o: temporary.organizationId },
    });
    await scim.suite.graphql('mutation($i: ID!) { revokeScimToken(id: $i) { id } }', { token: temporary.ownerSession, variables: { i: listed.data!.scimTokens[0]!.id } });
    expectScimError(await scim.scim(temporary, 'GET', '/Users'), 401);
  });
});

describe('Users', () => {
  it('creates a user: 201 with Location, ETag, an absolute meta.location and a body scimmy accepts', async () => {
    const body = newUser(acme, { externalId: 'ext-1', schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE], [ENTERPRISE]: { department: 'R&D', manager: { value: 'boss' } } });
    const created = await scim.scim(acme, 'POST', '/Users', body);
    expect(created.status).toBe(201);
    expectValidResource(created.body);
    const meta = created.body.meta as { location: string; version: string };
    expect(created.headers.get('location')).toBe(meta.location);
    expect(created.headers.get('etag')).toBe(meta.version);
    expect(created.body).toMatchObject({ userName: body.userName, externalId: 'ext-1', active: true, [ENTERPRISE]: { department: 'R&D', manager: { value: 'boss' } } });
    const fetched = await scim.scim(acme, 'GET', `/Users/${created.body.id as string}`);
    expect(fetched.body).toEqual(created.body);
  });

  it('refuses a duplicate userName, whatever its case, with 409 uniqueness', async () => {
    const user = await createUser(acme);
    expectScimError(await scim.scim(acme, 'POST', '/Users', newUser(acme, { userName: user.userName.toUpperCase() })), 409, 'uniqueness');
  });

  it('refuses bad input with 400 in the SCIM error schema, never a 500', async () => {
    expectScimError(await scim.scim(acme, 'POST', '/Users', '{"userName": '), 400, 'invalidSyntax');
    expectScimError(await scim.scim(acme, 'POST', '/Users', { schemas: [] }), 400, 'invalidValue');
    expectScimError(await scim.scim(acme, 'POST', '/Users', newUser(acme, { active: 'yes' })), 400, 'invalidValue');
    expectScimError(await scim.scim(acme, 'POST', '/Users', newUser(acme, { emails: 'x' })), 400, 'invalidValue');
    expectScimError(await scim.scim(acme, 'GET', '/Users?filter=userName%20eq'), 400, 'invalidFilter');
    expectScimError(await scim.scim(acme, 'GET', '/Users?count=abc'), 400, 'invalidValue');
    expectScimError(await scim.scim(acme, 'GET', '/Users/not-a-uuid'), 404);
    expectScimError(await scim.scim(acme, 'GET', '/Nope'), 404);
  });

  it('provisions only emails of a domain the organization verified', async () => {
    const outsider = newUser({ domain: 'example.com' });
    expectScimError(await scim.scim(acme, 'POST', '/Users', outsider), 400, 'invalidValue');
    expectScimError(await scim.scim(acme, 'POST', '/Users', newUser(globex)), 400, 'invalidValue');
  });

  it('finds users by userName (case-insensitive) and by externalId (exact)', async () => {
    const user = await createUser(acme, { externalId: 'Okta-00u1' });
    const byName = await scim.scim(acme, 'GET', `/Users?filter=${encodeURIComponent(`userName eq "${user.userName.toUpperCase()}"`)}`);
    expect(expectValidList(byName.body).map((u) => u.id)).toEqual([user.id]);
    const byExternal = await scim.scim(acme, 'GET', `/Users?filter=${encodeURIComponent('externalId eq "Okta-00u1"')}`);
    expect(expectValidList(byExternal.body).map((u) => u.id)).toEqual([user.id]);
    const wrongCase = await scim.scim(acme, 'GET', `/Users?filter=${encodeURIComponent('externalId eq "okta-00u1"')}`);
    expect(wrongCase.body).toMatchObject({ totalResults: 0, Resources: [] });
  });

  it('pages with startIndex and count in a stable order; count=0 gives only the total', async () => {
    const tenant = await scim.tenant('user@example.com');
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await createUser(tenant)).id);
    const page = async (query: string) => scim.scim(tenant, 'GET', `/Users?${query}`);
    const first = await page('startIndex=1&count=2');
    const second = await page('startIndex=3&count=2');
    const third = await page('startIndex=5&count=2');
    expect([first, second, third].flatMap((response) => expectValidList(response.body).map((u) => u.id))).toEqual(ids);
    expect(first.body).toMatchObject({ totalResults: 5, startIndex: 1, itemsPerPage: 2 });
    expect(third.body).toMatchObject({ totalResults: 5, startIndex: 5, itemsPerPage: 1 });
    expect((await page('count=0')).body).toMatchObject({ totalResults: 5, itemsPerPage: 0, Resources: [] });
    expect((await page('startIndex=0&count=1')).body).toMatchObject({ startIndex: 1, itemsPerPage: 1 });
    expect((await page('startIndex=6')).body).toMatchObject({ totalResults: 5, itemsPerPage: 0 });
  });

  it('returns only the requested attributes, or all but the excluded ones', async () => {
    const user = await createUser(acme, { title: 'Engineer' });
    const only = await scim.scim(acme, 'GET', `/Users/${user.id}?attributes=userName,name.givenName`);
    expect(only.body).toEqual({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], id: user.id, userName: user.userName, name: { givenName: 'Test' } });
    const without = await scim.scim(acme, 'GET', `/Users/${user.id}?excludedAttributes=emails,title,id`);
    expect(without.body).not.toHaveProperty('emails');
    expect(without.body).not.toHaveProperty('title');
    expect(without.body).toHaveProperty('id', user.id);
    expect(without.body).toHaveProperty('userName');
  });

  it('honours ETags: If-None-Match gives 304, a stale If-Match gives 412 and changes nothing', async () => {
    const user = await createUser(acme);
    const etag = user.meta.version;
    const notModified = await scim.scim(acme, 'GET', `/Users/${user.id}`, undefined, { headers: { 'if-none-match': etag } });
    expect(notModified.status).toBe(304);
    const replaced = await scim.scim(acme, 'PUT', `/Users/${user.id}`, { ...newUser(acme), userName: user.userName, title: 'CTO' }, { headers: { 'if-match': etag } });
    expect(replaced.status).toBe(200);
    expectValidResource(replaced.body);
    const newTag = (replaced.body.meta as { version: string }).version;
    expect(newTag).not.toBe(etag);
    expect((await scim.scim(acme, 'GET', `/Users/${user.id}`, undefined, { headers: { 'if-none-match': etag } })).status).toBe(200);

    const patch = { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'Intern' }] };
    expectScimError(await scim.scim(acme, 'PATCH', `/Users/${user.id}`, patch, { headers: { 'if-match': etag } }), 412);
    expectScimError(await scim.scim(acme, 'PUT', `/Users/${user.id}`, newUser(acme), { headers: { 'if-match': etag } }), 412);
    expectScimError(await scim.scim(acme, 'DELETE', `/Users/${user.id}`, undefined, { headers: { 'if-match': etag } }), 412);
    expect((await scim.scim(acme, 'GET', `/Users/${user.id}`)).body).toMatchObject({ title: 'CTO' });
    expect((await scim.scim(acme, 'PATCH', `/Users/${user.id}`, patch, { headers: { 'if-match': newTag } })).body).toMatchObject({ title: 'Intern' });
  });

  it('PATCH and PUT update; DELETE answers 204 and the user is gone', async () => {
    const user = await createUser(acme);
    const patched = await scim.scim(acme, 'PATCH', `/Users/${user.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'nickName', value: 'Ace' }] });
    expect(patched.status).toBe(200);
    expectValidResource(patched.body);
    expect(patched.body.nickName).toBe('Ace');
    expect((await scim.scim(acme, 'DELETE', `/Users/${user.id}`)).status).toBe(204);
    expectScimError(await scim.scim(acme, 'GET', `/Users/${user.id}`), 404);
    expectScimError(await scim.scim(acme, 'DELETE', `/Users/${user.id}`), 404);
  });

  it('works the same through the gateway\'s /scim/v2', async () => {
    const created = await scim.scim(acme, 'POST', '/Users', newUser(acme), { via: 'gateway' });
    expect(created.status).toBe(201);
    const listed = await scim.scim(acme, 'GET', `/Users?filter=${encodeURIComponent(`userName eq "${created.body.userName as string}"`)}`, undefined, { via: 'gateway' });
    expect(expectValidList(listed.body).map((u) => u.id)).toEqual([created.body.id]);
  });
});

describe('Groups', () => {
  it('full lifecycle: create with members, read with display and $ref, filter, patch add/remove/replace, replace, delete', async () => {
    const [ada, bob, cy] = [await createUser(acme, { displayName: 'Ada' }), await createUser(acme), await createUser(acme)];
    const group = await createGroup(acme, 'Engineering', [ada.id]);
    const fetched = await scim.scim(acme, 'GET', `/Groups/${group.id}`);
    expectValidResource(fetched.body);
    expect(fetched.body.members).toEqual([{ value: ada.id, type: 'User', display: 'Ada', $ref: ada.meta.location }]);

    const byName = await scim.scim(acme, 'GET', `/Groups?filter=${encodeURIComponent('displayName eq "engineering"')}&excludedAttributes=members`);
    const found = expectValidList(byName.body);
    expect(found.map((g) => g.id)).toEqual([group.id]);
    expect(found[0]).not.toHaveProperty('members');
    const byMember = await scim.scim(acme, 'GET', `/Groups?filter=${encodeURIComponent(`members[value eq "${ada.id}"]`)}`);
    expect(expectValidList(byMember.body).map((g) => g.id)).toEqual([group.id]);

    const patch = (operations: unknown[]) => scim.scim(acme, 'PATCH', `/Groups/${group.id}`, { schemas: [PATCH_OP], Operations: operations });
    const members = async () => ((await scim.scim(acme, 'GET', `/Groups/${group.id}`)).body.members as { value: string }[] | undefined)?.map((m) => m.value).sort() ?? [];
    expect((await patch([{ op: 'add', path: 'members', value: [{ value: bob.id }, { value: cy.id }] }])).status).toBe(200);
    expect(await members()).toEqual([ada.id, bob.id, cy.id].sort());
    await patch([{ op: 'remove', path: `members[value eq "${bob.id}"]` }]);
    expect(await members()).toEqual([ada.id, cy.id].sort());
    await patch([{ op: 'replace', path: 'members', value: [{ value: bob.id }] }]);
    expect(await members()).toEqual([bob.id]);
    const replaced = await scim.scim(acme, 'PUT', `/Groups/${group.id}`, { schemas: [GROUP], displayName: 'Eng', members: [{ value: cy.id }] });
    expectValidResource(replaced.body);
    expect(replaced.body).toMatchObject({ displayName: 'Eng', members: [{ value: cy.id }] });
    expect((await scim.scim(acme, 'DELETE', `/Groups/${group.id}`)).status).toBe(204);
    expectScimError(await scim.scim(acme, 'GET', `/Groups/${group.id}`), 404);
  });

  it('refuses members that are not users of the organization', async () => {
    const stranger = await createUser(globex);
    expectScimError(await scim.scim(acme, 'POST', '/Groups', { schemas: [GROUP], displayName: 'X', members: [{ value: stranger.id }] }), 400, 'invalidValue');
    expectScimError(await scim.scim(acme, 'POST', '/Groups', { schemas: [GROUP], displayName: 'X', members: [{ value: 'nobody' }] }), 400, 'invalidValue');
    expectScimError(await scim.scim(acme, 'POST', '/Groups', { schemas: [GROUP] }), 400, 'invalidValue');
  });

  it('a deleted user leaves its groups', async () => {
    const [ada, bob] = [await createUser(acme), await createUser(acme)];
    const group = await createGroup(acme, 'Leavers', [ada.id, bob.id]);
    await scim.scim(acme, 'DELETE', `/Users/${ada.id}`);
    expect(((await scim.scim(acme, 'GET', `/Groups/${group.id}`)).body.members as { value: string }[]).map((m) => m.value)).toEqual([bob.id]);
  });

  it('concurrent PATCHes of one group lose no member', async () => {
    const users = [];
    for (let i = 0; i < 16; i += 1) users.push(await createUser(acme));
    const group = await createGroup(acme, 'Crowd');
    const results = await Promise.all(
      users.map((user) => scim.scim(acme, 'PATCH', `/Groups/${group.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: user.id }] }] })),
    );
    expect(results.map((result) => result.status)).toEqual(users.map(() => 200));
    const final = await scim.scim(acme, 'GET', `/Groups/${group.id}`);
    expect((final.body.members as { value: string }[]).map((m) => m.value).sort()).toEqual(users.map((u) => u.id).sort());
    expect((final.body.meta as { version: string }).version).toBe(`W/"${users.length + 1}"`);
  });

  it('is visible to the organization\'s members in the organizations subgraph, with the members\' user ids', async () => {
    const [ada, bob] = [await createUser(acme), await createUser(acme)];
    const group = await createGroup(acme, `Visible ${ada.id.slice(0, 6)}`, [ada.id, bob.id]);
    const query = `{ organization(slug: "${acme.slug}") { groups { id displayName members { id } } members { user { id } provisioned } } }`;
    type View = { organization: { groups: { id: string; members: { id: string }[] }[]; members: { user: { id: string }; provisioned: boolean }[] } };
    const view = await waitFor(
      async () => {
        const result = await scim.suite.graphql<View>(query, { token: acme.ownerSession });
        const seen = result.data?.organization.groups.find((g) => g.id === group.id);
        return seen?.members.length === 2 ? result.data! : null;
      },
      { timeoutMs: 15_000, what: 'the group in the organizations subgraph' },
    );
    const provisioned = view.organization.members.filter((m) => m.provisioned).map((m) => m.user.id);
    const groupMembers = view.organization.groups.find((g) => g.id === group.id)!.members.map((m) => m.id);
    expect(groupMembers.every((id) => provisioned.includes(id))).toBe(true);
    // Another organization's owner does not see it.
    const other = await scim.suite.graphql(query, { token: globex.ownerSession });
    expect(other.data).toEqual({ organization: null });
  });
});

describe('cross-organization isolation, every operation', () => {
  it('a token never sees or changes another organization\'s users', async () => {
    const user = await createUser(acme, { externalId: 'isolated-1' });
    const path = `/Users/${user.id}`;
    expectScimError(await scim.scim(globex, 'GET', path), 404);
    expectScimError(await scim.scim(globex, 'PUT', path, newUser(globex)), 404);
    expectScimError(await scim.scim(globex, 'PATCH', path, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] }), 404);
    expectScimError(await scim.scim(globex, 'DELETE', path), 404);
    for (const filter of [`userName eq "${user.userName}"`, 'externalId eq "isolated-1"', `id eq "${user.id}"`]) {
      expect((await scim.scim(globex, 'GET', `/Users?filter=${encodeURIComponent(filter)}`)).body).toMatchObject({ totalResults: 0 });
    }
    expect(((await scim.scim(globex, 'GET', '/Users?count=200')).body.Resources as { id: string }[]).map((u) => u.id)).not.toContain(user.id);
    expect((await scim.scim(globex, 'POST', '/Users/.search', { filter: `userName eq "${user.userName}"` })).body).toMatchObject({ totalResults: 0 });
    // Unchanged for its own organization.
    expect((await scim.scim(acme, 'GET', path)).body).toMatchObject({ id: user.id, active: true, meta: { version: user.meta.version } });
  });

  it('a token never sees or changes another organization\'s groups', async () => {
    const member = await createUser(acme);
    const group = await createGroup(acme, 'Private', [member.id]);
    const path = `/Groups/${group.id}`;
    expectScimError(await scim.scim(globex, 'GET', path), 404);
    expectScimError(await scim.scim(globex, 'PUT', path, { schemas: [GROUP], displayName: 'Mine' }), 404);
    expectScimError(await scim.scim(globex, 'PATCH', path, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'members' }] }), 404);
    expectScimError(await scim.scim(globex, 'DELETE', path), 404);
    expect((await scim.scim(globex, 'GET', `/Groups?filter=${encodeURIComponent('displayName eq "Private"')}`)).body).toMatchObject({ totalResults: 0 });
    expect((await scim.scim(acme, 'GET', path)).body).toMatchObject({ displayName: 'Private', members: [{ value: member.id }], meta: { version: group.meta.version } });
  });
});
