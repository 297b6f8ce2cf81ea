/**
 * The request sequences Okta and Microsoft Entra ID send, as their public SCIM documentation
 * describes them (Okta's "SCIM 2.0" reference; Microsoft's "develop and plan provisioning for a
 * SCIM endpoint" request/response examples), replayed in order against the running suite. Bodies
 * keep each client's shape and quirks; only the email domain is the tenant's verified one.
 * scimmy, an independent SCIM implementation, validates every response.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScimSuite, type ScimResponse, type ScimSuite, type ScimTenant } from './scim-suite';
import { expectValidList, expectValidResource } from './scim-validators';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

let scim: ScimSuite;
beforeAll(async () => {
  scim = await startScimSuite();
});
afterAll(() => scim?.stop());

const q = (filter: string) => encodeURIComponent(filter);

/** Sends one step and checks its status; resources and lists are validated by scimmy. */
async function step(tenant: ScimTenant, method: string, path: string, body: unknown, expected: number): Promise<ScimResponse> {
  const response = await scim.scim(tenant, method, path, body);
  expect(response.status, `${method} ${path}: ${JSON.stringify(response.body)}`).toBe(expected);
  if (expected !== 204) expect(response.contentType).toMatch(/^application\/scim\+json/);
  if (response.body.Resources) expectValidList(response.body);
  else if (expected < 300 && expected !== 204) expectValidResource(response.body);
  return response;
}

describe('Okta (SCIM 2.0 reference sequence)', () => {
  it('tests the connection, provisions, reads, updates with PUT, deactivates, reactivates, and manages a group', async () => {
    const tenant = await scim.tenant('user@example.com');
    const email = `test.user@${tenant.domain}`;
    await step(tenant, 'GET', '/Users?startIndex=1&count=2', undefined, 200);
    await step(tenant, 'GET', '/Groups?startIndex=1&count=100', undefined, 200);

    const lookup = await step(tenant, 'GET', `/Users?filter=${q(`userName eq "${email}"`)}&startIndex=1&count=100`, undefined, 200);
    expect(lookup.body.totalResults).toBe(0);
    const created = await step(
      tenant,
      'POST',
      '/Users',
      {
        schemas: [USER],
        userName: email,
        name: { givenName: 'Test', familyName: 'User' },
        emails: [{ primary: true, value: email, type: 'work' }],
        displayName: 'Test User',
        locale: 'en-US',
        externalId: '00ujl29u0le5T6Aj10h7',
        groups: [],
        password: '1mz050nq',
        active: true,
      },
      201,
    );
    const id = created.body.id as string;
    expect(created.body).not.toHaveProperty('password');
    await step(tenant, 'GET', `/Users/${id}`, undefined, 200);
    const found = await step(tenant, 'GET', `/Users?filter=${q(`userName eq "${email}"`)}&startIndex=1&count=100`, undefined, 200);
    expect(found.body.totalResults).toBe(1);

    const replaced = await step(
      tenant,
      'PUT',
      `/Users/${id}`,
      {
        schemas: [USER],
        id,
        userName: email,
        name: { givenName: 'Another', familyName: 'User' },
        emails: [{ primary: true, value: email, type: 'work' }],
        displayName: 'Another User',
        locale: 'en-US',
        externalId: '00ujl29u0le5T6Aj10h7',
        groups: [],
        active: true,
        meta: { resourceType: 'User', created: '2021-01-01T00:00:00Z' },
      },
      200,
    );
    expect(replaced.body).toMatchObject({ name: { givenName: 'Another' }, displayName: 'Another User' });

    const deactivated = await step(tenant, 'PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] }, 200);
    expect(deactivated.body.active).toBe(false);
    const reactivated = await step(tenant, 'PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: true } }] }, 200);
    expect(reactivated.body.active).toBe(true);

    const group = await step(tenant, 'POST', '/Groups', { schemas: [GROUP], displayName: 'Test SCIMv2', members: [] }, 201);
    const groupId = group.body.id as string;
    await step(tenant, 'GET', `/Groups/${groupId}`, undefined, 200);
    const byName = await step(tenant, 'GET', `/Groups?filter=${q('displayName eq "Test SCIMv2"')}&startIndex=1&count=100`, undefined, 200);
    expect(byName.body.totalResults).toBe(1);
    const renamed = await step(
      tenant,
      'PATCH',
      `/Groups/${groupId}`,
      { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { id: groupId, displayName: 'Test SCIMv2 Updated' } }] },
      200,
    );
    expect(renamed.body.displayName).toBe('Test SCIMv2 Updated');
    const added = await step(
      tenant,
      'PATCH',
      `/Groups/${groupId}`,
      { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: id, display: email }] }] },
      200,
    );
    expect(added.body.members).toEqual([expect.objectContaining({ value: id })]);
    const removed = await step(tenant, 'PATCH', `/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${id}"]` }] }, 200);
    expect(removed.body).not.toHaveProperty('members');
    await step(tenant, 'DELETE', `/Groups/${groupId}`, undefined, 204);
  });
});

describe('Microsoft Entra ID (request/response examples of its SCIM guide)', () => {
  it('creates, reads, queries, updates multi- and single-valued attributes, disables, deletes; then the group operations', async () => {
    const tenant = await scim.tenant('admin@example.com');
    const userName = 'Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1';
    const created = await step(
      tenant,
      'POST',
      '/Users',
      {
        schemas: [USER, ENTERPRISE],
        externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
        userName,
        active: true,
        emails: [{ primary: true, type: 'work', value: `Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@${tenant.domain}` }],
        meta: { resourceType: 'User' },
        name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
        roles: [],
      },
      201,
    );
    const id = created.body.id as string;
    await step(tenant, 'GET', `/Users/${id}`, undefined, 200);
    const byQuery = await step(tenant, 'GET', `/Users?filter=${q(`userName eq "${userName}"`)}`, undefined, 200);
    expect((byQuery.body.Resources as { id: string }[]).map((u) => u.id)).toEqual([id]);
    // Entra's newer matching probes by externalId.
    const byExternal = await step(tenant, 'GET', `/Users?filter=${q('externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"')}`, undefined, 200);
    expect(byExternal.body.totalResults).toBe(1);
    const none = await step(tenant, 'GET', `/Users?filter=${q('userName eq "non-existent user"')}`, undefined, 200);
    expect(none.body).toMatchObject({ totalResults: 0, Resources: [] });

    const multi = await step(
      tenant,
      'PATCH',
      `/Users/${id}`,
      {
        schemas: [PATCH_OP],
        Operations: [
          { op: 'Replace', path: 'emails[type eq "work"].value', value: 'updatedEmail@microsoft.com' },
          { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
        ],
      },
      200,
    );
    expect(multi.body).toMatchObject({ emails: [{ type: 'work', value: 'updatedEmail@microsoft.com', primary: true }], name: { familyName: 'updatedFamilyName' } });
    const single = await step(
      tenant,
      'PATCH',
      `/Users/${id}`,
      { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'userName', value: `5b50642d-79fc-4410-9e90-4c077cdd1a59@${tenant.domain}` }] },
      200,
    );
    expect(single.body.userName).toBe(`5b50642d-79fc-4410-9e90-4c077cdd1a59@${tenant.domain}`);
    const manager = await step(
      tenant,
      'PATCH',
      `/Users/${id}`,
      { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: `${ENTERPRISE}:manager`, value: 'f648f8d5ea4e4cd38e9c' }, { op: 'Add', value: { [`${ENTERPRISE}:department`]: 'Sales' } }] },
      200,
    );
    expect(manager.body[ENTERPRISE]).toEqual({ manager: { value: 'f648f8d5ea4e4cd38e9c' }, department: 'Sales' });
    const disabled = await step(tenant, 'PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] }, 200);
    expect(disabled.body.active).toBe(false);
    const enabled = await step(tenant, 'PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: true }] }, 200);
    expect(enabled.body.active).toBe(true);

    const member = await step(
      tenant,
      'POST',
      '/Users',
      { schemas: [USER], userName: `member@${tenant.domain}`, active: true, emails: [{ primary: true, type: 'work', value: `member@${tenant.domain}` }] },
      201,
    );
    const group = await step(
      tenant,
      'POST',
      '/Groups',
      {
        schemas: [GROUP, 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'],
        externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
        displayName: 'displayName',
        meta: { resourceType: 'Group' },
      },
      201,
    );
    const groupId = group.body.id as string;
    const withoutMembers = await step(tenant, 'GET', `/Groups/${groupId}?excludedAttributes=members`, undefined, 200);
    expect(withoutMembers.body).not.toHaveProperty('members');
    const byDisplayName = await step(tenant, 'GET', `/Groups?excludedAttributes=members&filter=${q('displayName eq "displayName"')}`, undefined, 200);
    expect(byDisplayName.body.totalResults).toBe(1);
    const renamed = await step(
      tenant,
      'PATCH',
      `/Groups/${groupId}`,
      { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'displayName', value: '1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName' }] },
      200,
    );
    expect(renamed.body.displayName).toBe('1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName');
    const added = await step(
      tenant,
      'PATCH',
      `/Groups/${groupId}`,
      { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: [{ $ref: null, value: id }, { $ref: null, value: member.body.id }] }] },
      200,
    );
    expect((added.body.members as { value: string }[]).map((m) => m.value).sort()).toEqual([id, member.body.id as string].sort());
    const removed = await step(
      tenant,
      'PATCH',
      `/Groups/${groupId}`,
      { schemas: [PATCH_OP], Operations: [{ op: 'Remove', path: 'members', value: [{ $ref: null, value: id }] }] },
      200,
    );
    expect((removed.body.members as { value: string }[]).map((m) => m.value)).toEqual([member.body.id]);
    await step(tenant, 'DELETE', `/Groups/${groupId}`, undefined, 204);
    await step(tenant, 'DELETE', `/Users/${id}`, undefined, 204);
    const gone = await scim.scim(tenant, 'GET', `/Users/${id}`);
    expect(gone.status).toBe(404);
  });
});
