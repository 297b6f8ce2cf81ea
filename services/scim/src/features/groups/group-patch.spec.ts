import { describe, expect, it } from 'vitest';
import { applyPatch, PATCH_OP_SCHEMA } from '../../core/patch.engine';
import { groupResourceType } from './group.schema';

const patchGroup = (attributes: Record<string, unknown>, ...operations: unknown[]) =>
  applyPatch(groupResourceType, attributes, { schemas: [PATCH_OP_SCHEMA], Operations: operations });

describe('PATCH of group membership, in the dialects of real clients', () => {
  it('Okta: member add without type', () => {
    const data = patchGroup({ displayName: 'Eng' }, { op: 'add', path: 'members', value: [{ value: 'u1', display: 'ada@example.com' }] });
    expect(data.members).toEqual([{ value: 'u1' }]);
  });

  it('remove with members[value eq "…"] really removes that member, and only it', () => {
    const group = { displayName: 'Eng', members: [{ value: 'u1' }, { value: 'u2' }, { value: 'u3' }] };
    expect(patchGroup(group, { op: 'remove', path: 'members[value eq "u2"]' }).members).toEqual([{ value: 'u1' }, { value: 'u3' }]);
    expect(patchGroup(group, { op: 'Remove', path: 'members', value: [{ value: 'u1' }, { value: 'u3' }] }).members).toEqual([{ value: 'u2' }]);
    expect(patchGroup(group, { op: 'remove', path: 'members' }).members).toBeUndefined();
  });

  it('replace of members sets exactly the given set; add of an existing member keeps one copy', () => {
    const group = { displayName: 'Eng', members: [{ value: 'u1' }, { value: 'u2' }] };
    expect(patchGroup(group, { op: 'replace', path: 'members', value: [{ value: 'u3' }] }).members).toEqual([{ value: 'u3' }]);
    expect(patchGroup(group, { op: 'add', path: 'members', value: [{ value: 'u1' }] }).members).toEqual([{ value: 'u1' }, { value: 'u2' }]);
  });

  it('Okta: a path-less group replace of {id, displayName} renames and ignores the read-only id', () => {
    expect(patchGroup({ displayName: 'Eng' }, { op: 'replace', value: { id: 'abc', displayName: 'Engineering' } })).toEqual({ displayName: 'Engineering' });
  });
});
