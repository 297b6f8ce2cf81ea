import type { Json } from '../../core/resource.codec';
import type { ScimTenant } from '../../core/scim-http';
import type { ResourceRow, ResourceStore } from '../../core/resources/resource.repository';

export const GROUP_TOPICS = { updated: 'scim.group.updated', deleted: 'scim.group.deleted' } as const;

/**
 * Tells organizations the group's whole current state (name and members as user ids), so a
 * redelivered or late event can never leave it with a partial membership: the consumer keeps
 * the state with the highest sequence.
 */
export async function announceGroup(store: ResourceStore, tenant: ScimTenant, group: ResourceRow): Promise<void> {
  const attributes = group.attributes as Json;
  const memberIds = ((attributes.members as Json[] | undefined) ?? []).map((member) => String(member.value));
  const users = await store.usersByIds(tenant.organizationId, memberIds);
  await store.announce(GROUP_TOPICS.updated, {
    organization_id: tenant.organizationId,
    group_id: group.id,
    display_name: attributes.displayName,
    external_id: group.externalId,
    member_user_ids: users.map((user) => user.targetId).filter((id): id is string => id !== null).sort(),
  });
}
