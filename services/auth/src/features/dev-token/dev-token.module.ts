import type { AuthCore } from '../../core/core';
import type { AuthModule } from '../../core/module';
import type { DevConfig } from './dev-token.config';
import { devTokenRoutes } from './dev-token.routes';
import { seedDevIdentities } from './dev-seed';

/** Dev mode: the seed's users exist, and `/auth/dev/token` signs them in without ceremony. */
export function createDevTokenModule(core: AuthCore, config: DevConfig): AuthModule {
  // A profile created moments ago may still be in the outbox: deliver it, then ask again.
  async function usernameOf(userId: string): Promise<string | null> {
    const username = await core.users.findUsername(userId);
    if (username) return username;
    await core.relay.flush();
    return core.users.findUsername(userId);
  }
  return {
    name: 'dev-token',
    routes: devTokenRoutes(core, usernameOf),
    async start() {
      const created = await seedDevIdentities(core.identities, { emails: config.seedEmails, adminEmails: config.adminEmails });
      core.logger.info({ created }, 'dev mode: seeded users present');
    },
  };
}
