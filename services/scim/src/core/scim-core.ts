import type { AuthClient } from './clients/auth.client';
import type { ResourceRepository } from './resources/resource.repository';

/** What every SCIM feature module is built from. */
export interface ScimCore {
  resources: ResourceRepository;
  auth: AuthClient;
  /** Absolute base of `meta.location` URLs, ending in `/scim/v2`. */
  baseUrl: string;
  /** Call after committing outbox events: delivers them now instead of at the next poll. */
  onAnnounced: () => void;
}
