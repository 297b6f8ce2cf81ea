import type { AuthCore } from '../../core/core';
import type { AuthModule } from '../../core/module';
import { createProvisioningRepository } from './provisioning.repository';
import { provisioningRoutes } from './provisioning.routes';
import { createProvisioningService } from './provisioning.service';

/**
 * SCIM provisioning's auth side (docs/provisioning.md): identities for provisioned emails, and
 * deprovisioning that blocks sign-in (through core's sign-in guard) and ends every session.
 */
export function createProvisioningModule(core: AuthCore): AuthModule {
  const provisioning = createProvisioningService({
    accounts: createProvisioningRepository(core.db),
    identities: core.identities,
    mailboxProof: core.mailboxProof,
    sessions: core.sessions,
    audit: core.audit,
    onAnnounced: () => core.relay.wake(),
  });
  return {
    name: 'provisioning',
    internalRoutes: provisioningRoutes({ db: core.db, provisioning }),
    signInGuard: { isRefused: (userId) => provisioning.isBlocked(userId) },
  };
}
