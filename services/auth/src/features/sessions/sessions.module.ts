import type { AuthCore } from '../../core/core';
import type { AuthModule } from '../../core/module';
import { sessionListRoutes } from './session-list.routes';
import { createSessionManagement } from './session-management.service';
import { sessionRoutes } from './session.routes';
import { createSessionResolvers } from './sessions.resolvers';

/** Validation for the gateway, `/me`, refresh, logout, and the signed-in user's session list. */
export function createSessionsModule(core: AuthCore): AuthModule {
  const management = createSessionManagement({ sessions: core.sessions, signOutEverywhere: core.signOutEverywhere, audit: core.audit });
  return {
    name: 'sessions',
    routes: [...sessionRoutes(core), ...sessionListRoutes(core, management)],
    resolvers: createSessionResolvers(management),
  };
}
