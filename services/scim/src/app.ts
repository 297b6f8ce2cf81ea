import { Router } from 'express';
import { createHttpApp, finishHttpApp } from '@malet/http-server';
import { createInternalTokenSigner, createInternalTokenVerifier, requireInternalToken } from '@malet/internal-auth';
import type { Logger } from '@malet/logging';
import { createMetrics } from '@malet/metrics';
import { createOutboxRelay } from '@malet/outbox';
import { createAuthClient } from './core/clients/auth.client';
import { createOrganizationsClient } from './core/clients/organizations.client';
import type { ScimConfig } from './config';
import type { ScimCore } from './core/scim-core';
import { ScimError, writeScimError } from './core/scim-error';
import { requireScimToken, scimJsonBody } from './core/scim-http';
import type { ScimDb } from './core/db';
import { createResourceRepository } from './core/resources/resource.repository';
import { createDiscoveryModule } from './features/discovery/discovery.module';
import { createGroupsModule } from './features/groups/groups.module';
import { createUsersModule } from './features/users/users.module';
import { GROUP_TOPICS } from './features/groups/group.events';
import { USER_TOPICS } from './features/users/user.service';

/** Wires the SCIM service; `main.ts` and the tests both build it through here. */
export async function createScimApp(deps: { config: ScimConfig; logger: Logger; db: ScimDb; ping: () => Promise<void> }) {
  const { config, logger, db } = deps;
  const metrics = createMetrics({ service: 'scim' });
  const signInternalToken = createInternalTokenSigner({ secret: config.internalTokenSecret, issuer: 'scim' });
  const userTopics = Object.values(USER_TOPICS);
  // Provisioning state travels as events: auth blocks or restores sign-in, organizations keeps memberships and groups.
  const relay = createOutboxRelay({
    db,
    logger,
    signInternalToken,
    pollMs: config.outbox.pollMs,
    subscribers: [
      { name: 'auth', url: `${config.authUrl}/internal/events`, topics: userTopics },
      { name: 'organizations', url: `${config.organizationsUrl}/internal/events`, topics: [...userTopics, ...Object.values(GROUP_TOPICS)] },
    ],
  });
  const organizations = createOrganizationsClient({ organizationsUrl: config.organizationsUrl, signInternalToken, cacheTtlMs: config.tokenCacheTtlMs });
  const core: ScimCore = {
    resources: createResourceRepository(db),
    auth: createAuthClient({ authUrl: config.authUrl, signInternalToken }),
    baseUrl: `${config.publicUrl}/scim/v2`,
    onAnnounced: () => relay.wake(),
  };
  const groups = createGroupsModule(core);
  const users = createUsersModule(core, { onUserDeleted: groups.service.removeMemberEverywhere });
  const discovery = createDiscoveryModule(core, [users.resourceType, groups.resourceType]);

  const app = createHttpApp({ service: 'scim', logger, metrics, production: config.production, readiness: deps.ping, parseJson: false });
  const scim = Router();
  scim.use(scimJsonBody());
  scim.use(discovery.router);
  scim.use(requireScimToken(organizations.verifyScimToken));
  scim.use(users.router);
  scim.use(groups.router);
  scim.use(function scimRouteNotFound(_req, _res, next) {
    next(new ScimError(404, undefined, 'No such SCIM endpoint'));
  });
  app.use('/scim/v2', scim, writeScimError(config.production));
  // Internal: provisioning state counts for operators, read through the gateway's signed token.
  const verifyInternalToken = createInternalTokenVerifier({ secret: config.internalTokenSecret });
  app.get('/internal/stats', requireInternalToken(verifyInternalToken, { callers: ['gateway'] }), async function showStats(_req, res) {
    res.json(await core.resources.countByType());
  });
  finishHttpApp(app);
  return {
    app,
    relay,
    close: () => relay.stop(),
  };
}

export type ScimApp = Awaited<ReturnType<typeof createScimApp>>;
