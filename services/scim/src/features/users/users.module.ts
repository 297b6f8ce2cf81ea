import { resourceRoutes } from '../../core/resource.routes';
import type { ScimCore } from '../../core/scim-core';
import type { ScimTenant } from '../../core/scim-http';
import type { ResourceStore } from '../../core/resources/resource.repository';
import { createUserService } from './user.service';
import { userResourceType } from './user.schema';

/** `/Users`: provisioning the users of the token's organization. */
export function createUsersModule(core: ScimCore, hooks: { onUserDeleted: (store: ResourceStore, tenant: ScimTenant, scimId: string) => Promise<void> }) {
  const service = createUserService({ ...core, onUserDeleted: hooks.onUserDeleted });
  return { router: resourceRoutes(userResourceType.endpoint, service), resourceType: userResourceType, service };
}
