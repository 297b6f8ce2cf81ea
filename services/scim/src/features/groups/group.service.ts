import { assertIfMatch } from '../../core/etag';
import { listResponse } from '../../core/list-response';
import { applyPatch } from '../../core/patch.engine';
import { project, type Projection } from '../../core/projection';
import { normalizeResource, type Json } from '../../core/resource.codec';
import { renderResource } from '../../core/resource.render';
import type { ListQuery } from '../../core/request';
import { invalidValue, resourceNotFound } from '../../core/scim-error';
import type { ScimTenant } from '../../core/scim-http';
import type { ResourceRepository, ResourceRow, ResourceStore } from '../../core/resources/resource.repository';
import { announceGroup, GROUP_TOPICS } from './group.events';
import { groupResourceType } from './group.schema';

const type = groupResourceType;

/**
 * SCIM Groups of one organization. Members must be users of the same organization; the state is
 * announced to organizations, where members see the group.
 */
export function createGroupService(deps: { resources: ResourceRepository; baseUrl: string; onAnnounced: () => void }) {
  const { resources, baseUrl } = deps;

  /** Members as stored: `{value, type}`; `display` and `$ref` are derived when the group is read. */
  async function checkedMembers(store: ResourceStore, tenant: ScimTenant, attributes: Json): Promise<Json> {
    const members = (attributes.members as Json[] | undefined) ?? [];
    if (!members.length) return attributes;
    const ids = members.map((member) => String(member.value ?? ''));
    const known = new Set((await store.usersByIds(tenant.organizationId, ids)).map((user) => user.id));
    const unknown = ids.filter((id) => !known.has(id));
    if (unknown.length) throw invalidValue(`No user ${unknown[0]} in this organization`);
    return { ...attributes, members: [...new Set(ids)].map((value) => ({ value, type: 'User' })) };
  }

  /** Fills each member's `display` and `$ref` from the users (one query for all of them). */
  async function render(rows: ResourceRow[], projection: Projection): Promise<Json[]> {
    const wantsMembers = !projection.excludedAttributes.some((name) => name.toLowerCase() === 'members') &&
      (!projection.attributes.length || projection.attributes.some((name) => name.toLowerCase().startsWith('members')));
    const memberIds = wantsMembers ? rows.flatMap((row) => ((row.attributes as Json).members as Json[] | undefined) ?? []).map((m) => String(m.value)) : [];
    const users = new Map((await resources.findUsersByIds(rows[0]?.organizationId ?? '', memberIds)).map((user) => [user.id, user]));
    return rows.map((row) => {
      const attributes = row.attributes as Json;
      const members = ((attributes.members as Json[] | undefined) ?? []).map((member) => {
        const user = users.get(String(member.value));
        const display = user ? ((user.attributes as Json).displayName ?? (user.attributes as Json).userName) : undefined;
        return { ...member, ...(display ? { display } : {}), $ref: `${baseUrl}/Users/${String(member.value)}` };
      });
      return project(type, renderResource(type, row, baseUrl, members.length ? { members } : {}), projection);
    });
  }

  async function lockOrThrow(store: ResourceStore, tenant: ScimTenant, id: string, ifMatch: string | undefined): Promise<ResourceRow> {
    const row = await store.lock(tenant.organizationId, 'Group', id);
    if (!row) throw resourceNotFound('Group', id);
    assertIfMatch(ifMatch, row.version);
    return row;
  }

  async function write(tenant: ScimTenant, id: string, ifMatch: string | undefined, change: (current: ResourceRow) => Json) {
    const row = await resources.transaction(async (store) => {
      const current = await lockOrThrow(store, tenant, id, ifMatch);
      const attributes = await checkedMembers(store, tenant, change(current));
      const updated = await store.update(current, {
        attributes,
        externalId: (attributes.externalId as string | undefined) ?? null,
        displayName: attributes.displayName as string,
      });
      await announceGroup(store, tenant, updated);
      return updated;
    });
    deps.onAnnounced();
    const [body] = await render([row], { attributes: [], excludedAttributes: [] });
    return { body: body!, version: row.version };
  }

  return {
    async list(tenant: ScimTenant, query: ListQuery) {
      const { rows, total } = await resources.list(tenant.organizationId, type, query);
      return listResponse(await render(rows, query), total, query);
    },

    async get(tenant: ScimTenant, id: string, projection: Projection) {
      const row = await resources.findById(tenant.organizationId, 'Group', id);
      if (!row) throw resourceNotFound('Group', id);
      const [body] = await render([row], projection);
      return { body: body!, version: row.version };
    },

    async create(tenant: ScimTenant, body: unknown) {
      const normalized = normalizeResource(type, body);
      const row = await resources.transaction(async (store) => {
        const attributes = await checkedMembers(store, tenant, normalized);
        const inserted = await store.insert(tenant.organizationId, 'Group', {
          attributes,
          externalId: (attributes.externalId as string | undefined) ?? null,
          displayName: attributes.displayName as string,
        });
        await announceGroup(store, tenant, inserted);
        return inserted;
      });
      deps.onAnnounced();
      const [rendered] = await render([row], { attributes: [], excludedAttributes: [] });
      return { body: rendered!, version: row.version };
    },

    replace: (tenant: ScimTenant, id: string, body: unknown, ifMatch: string | undefined) =>
      write(tenant, id, ifMatch, () => normalizeResource(type, body)),

    /** Concurrent PATCHes of one group queue on its row lock, so none of them loses another's member. */
    patch: (tenant: ScimTenant, id: string, body: unknown, ifMatch: string | undefined) =>
      write(tenant, id, ifMatch, (current) => normalizeResource(type, applyPatch(type, current.attributes as Json, body))),

    /** RFC 7644 section 3.6: a deleted user leaves every group it was in; runs in the deleting transaction. */
    async removeMemberEverywhere(store: ResourceStore, tenant: ScimTenant, userScimId: string): Promise<void> {
      for (const group of await store.lockGroupsWithMember(tenant.organizationId, userScimId)) {
        const { members, ...rest } = group.attributes as Json;
        const kept = ((members as Json[] | undefined) ?? []).filter((member) => member.value !== userScimId);
        const updated = await store.update(group, { attributes: kept.length ? { ...rest, members: kept } : rest, externalId: group.externalId });
        await announceGroup(store, tenant, updated);
      }
    },

    async remove(tenant: ScimTenant, id: string, ifMatch: string | undefined): Promise<void> {
      await resources.transaction(async (store) => {
        const current = await lockOrThrow(store, tenant, id, ifMatch);
        await store.remove(current);
        await store.announce(GROUP_TOPICS.deleted, { organization_id: tenant.organizationId, group_id: current.id });
      });
      deps.onAnnounced();
    },
  };
}

export type GroupService = ReturnType<typeof createGroupService>;
