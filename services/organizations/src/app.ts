import { createHttpApp, finishHttpApp } from '@malet/http-server';
import { createInternalTokenVerifier, requireInternalToken } from '@malet/internal-auth';
import { createSubgraphServer, subgraphMiddleware } from '@malet/graphql-server';
import type { Logger } from '@malet/logging';
import { createMetrics } from '@malet/metrics';
import type { OrganizationsConfig } from './config';
import type { OrganizationsDb } from './data/db';
import { createOrganizationRepository } from './data/organization.repository';
import { createOrganizationService } from './domain/organization.service';
import { createOrganizationLoader, createResolvers, typeDefs, type OrganizationsContext } from './graphql/resolvers';

export async function createOrganizationsApp(deps: {
  config: OrganizationsConfig;
  logger: Logger;
  db: OrganizationsDb;
  ping: () => Promise<void>;
}) {
  const { config, logger, db } = deps;
  const metrics = createMetrics({ service: 'organizations' });
  const verifyInternalToken = createInternalTokenVerifier({ secret: config.internalTokenSecret });
  const organizations = createOrganizationRepository(db);
  const service = createOrganizationService({ organizations });

  const app = createHttpApp({ service: 'organizations', logger, metrics, production: config.production, readiness: deps.ping });
  // Internal API for SCIM and auth: memberships of a user.
  app.get('/internal/users/:id/memberships', requireInternalToken(verifyInternalToken, { callers: ['scim', 'auth'] }), async function listMemberships(req, res) {
    const rows = await organizations.membershipsOfUser(req.params.id!);
    res.json({ memberships: rows.map((row) => ({ organization_id: row.organizationId, role: row.role })) });
  });
  const graphql = await createSubgraphServer<OrganizationsContext>({
    typeDefs,
    resolvers: createResolvers({ organizations, service }),
    logger,
    metrics,
  });
  app.post(
    '/graphql',
    subgraphMiddleware(graphql, verifyInternalToken, (base) => ({ ...base, organizationsById: createOrganizationLoader(organizations) })),
  );
  finishHttpApp(app);
  return { app, close: () => graphql.stop() };
}
