import type { ResourceTypeDefinition } from '../../core/attribute.schema';
import type { ScimCore } from '../../core/scim-core';
import { discoveryRoutes } from './discovery.routes';

/** `/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas` for the resource types the app mounts: public, no token needed. */
export function createDiscoveryModule(core: Pick<ScimCore, 'baseUrl'>, resourceTypes: ResourceTypeDefinition[]) {
  return { router: discoveryRoutes({ baseUrl: core.baseUrl, resourceTypes }) };
}
