import { resourceRoutes } from '../../core/resource.routes';
import type { ScimCore } from '../../core/scim-core';
import { createGroupService } from './group.service';
import { groupResourceType } from './group.schema';

/** `/Groups`: groups of the token's organization, announced to the organizations service. */
export function createGroupsModule(core: ScimCore) {
  const service = createGroupService(core);
  return { router: resourceRoutes(groupResourceType.endpoint, service), resourceType: groupResourceType, service };
}
