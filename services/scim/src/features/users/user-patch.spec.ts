import { describe, expect, it } from 'vitest';
import { applyPatch, PATCH_OP_SCHEMA } from '../../core/patch.engine';
import { userResourceType } from './user.schema';
import { scimTypeOf } from '../../core/scim-error.fixtures';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const user = () => ({
  userName: 'ada@example.com',
  active: true,
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  emails: [{ value: 'ada@example.com', type: 'work', primary: true }],
});
const patchUser = (attributes: Record<string, unknown>, ...operations: unknown[]) =>
  applyPatch(userResourceType, attributes, { schemas: [PATCH_OP_SCHEMA], Operations: operations });

describe('PATCH per RFC 7644 section 3.5.2', () => {
  it('replace with a path sets a value; add appends to a multi-valued attribute; remove with a path deletes', () => {
    let data = patchUser(user(), { op: 'replace', path: 'name.familyName', value: 'Byron' });
    expect(data.name).toEqual({ givenName: 'Ada', familyName: 'Byron' });
    data = patchUser(data, { op: 'add', path: 'emails', value: [{ value: 'ada@home.example', type: 'home' }] });
    expect((data.emails as unknown[]).length).toBe(2);
    data = patchUser(data, { op: 'remove', path: 'name.givenName' });
    expect(data.name).toEqual({ familyName: 'Byron' });
  });

  it('leaves the input untouched', () => {
    const before = user();
    patchUser(before, { op: 'replace', path: 'active', value: false });
    expect(before.active).toBe(true);
  });

  it('a new primary value demotes the old one', () => {
    const data = patchUser(user(), { op: 'add', path: 'emails', value: [{ value: 'new@example.com', type: 'other', primary: true }] });
    expect(data.emails).toEqual([
      { value: 'ada@example.com', type: 'work', primary: false },
      { value: 'new@example.com', type: 'other', primary: true },
    ]);
  });

  it('ignores read-only attributes (id, meta) instead of refusing the request', () => {
    const data = patchUser(user(), { op: 'replace', path: 'id', value: 'x' }, { op: 'replace', value: { meta: { version: 'x' }, displayName: 'Ada' } });
    expect(data).toEqual({ ...user(), displayName: 'Ada' });
  });

  it('refuses malformed requests: no operations, unknown op, remove without path, unknown explicit path', () => {
    expect(scimTypeOf(() => applyPatch(userResourceType, user(), { schemas: [PATCH_OP_SCHEMA], Operations: [] }))).toBe('invalidSyntax');
    expect(scimTypeOf(() => patchUser(user(), { op: 'merge', path: 'active', value: true }))).toBe('invalidSyntax');
    expect(scimTypeOf(() => patchUser(user(), { op: 'remove' }))).toBe('noTarget');
    expect(scimTypeOf(() => patchUser(user(), { op: 'replace', path: 'shoeSize', value: 9 }))).toBe('invalidPath');
    expect(scimTypeOf(() => patchUser(user(), { op: 'replace', path: 'active', value: 'maybe' }))).toBe('invalidValue');
    expect(scimTypeOf(() => patchUser(user(), { op: 'replace', path: 'emails[type eq "home"', value: 'x' }))).toBe('invalidPath');
  });
});

describe('PATCH dialects of real clients', () => {
  it('Okta: a path-less replace of {"active": false} deactivates', () => {
    expect(patchUser(user(), { op: 'replace', value: { active: false } }).active).toBe(false);
  });

  it('Entra: capitalised ops and string booleans ("Replace", "False")', () => {
    expect(patchUser(user(), { op: 'Replace', path: 'active', value: 'False' }).active).toBe(false);
    expect(patchUser({ ...user(), active: false }, { op: 'Replace', path: 'active', value: 'True' }).active).toBe(true);
  });

  it('Entra: dotted and URN-prefixed paths as keys of a path-less value', () => {
    const data = patchUser(user(), {
      op: 'Add',
      value: { 'name.givenName': 'Augusta', [`${ENTERPRISE}:department`]: 'Research', 'emails[type eq "work"].value': 'augusta@example.com' },
    });
    expect(data.name).toEqual({ givenName: 'Augusta', familyName: 'Lovelace' });
    expect(data[ENTERPRISE]).toEqual({ department: 'Research' });
    expect(data.emails).toEqual([{ value: 'augusta@example.com', type: 'work', primary: true }]);
  });

  it('Entra: a filtered path on a value that does not exist yet creates it', () => {
    const data = patchUser({ userName: 'grace@example.com' }, { op: 'Replace', path: 'emails[type eq "work"].value', value: 'grace@example.com' });
    expect(data.emails).toEqual([{ type: 'work', value: 'grace@example.com' }]);
    const phone = patchUser({ userName: 'grace@example.com' }, { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+15551234' });
    expect(phone.phoneNumbers).toEqual([{ type: 'mobile', value: '+15551234' }]);
  });

  it('Entra: the manager as a bare id, and its removal', () => {
    const data = patchUser(user(), { op: 'Add', path: `${ENTERPRISE}:manager`, value: 'boss-1' });
    expect(data[ENTERPRISE]).toEqual({ manager: { value: 'boss-1' } });
    expect(patchUser(data, { op: 'Remove', path: `${ENTERPRISE}:manager` })[ENTERPRISE]).toBeUndefined();
  });

  it('Entra: reactivation with active true', () => {
    expect(patchUser({ ...user(), active: false }, { op: 'Replace', path: 'active', value: true }).active).toBe(true);
  });

  it('AWS: path-less add and replace of several attributes at once', () => {
    const data = patchUser(user(), { op: 'replace', value: { displayName: 'Ada L.', name: { familyName: 'King' }, title: 'Countess' } });
    expect(data).toMatchObject({ displayName: 'Ada L.', title: 'Countess', name: { givenName: 'Ada', familyName: 'King' } });
  });



});
