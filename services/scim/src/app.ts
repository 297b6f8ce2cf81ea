import { createHttpApp, finishHttpApp } from '@malet/http-server';
import { createInternalTokenVerifier, requireInternalToken } from '@malet/internal-auth';
import type { Logger } from '@malet/logging';
import { createMetrics } from '@malet/metrics';
import { count } from 'drizzle-orm';
import type { ScimConfig } from './config';
import type { ScimDb } from './data/db';
import { scimResources } from './data/schema';
import { discoveryRoutes } from './routes/discovery.routes';

export async function createScimApp(deps: { config: ScimConfig; logger: Logger; db: ScimDb; ping: () => Promise<void> }) {
  const { config, logger, db } = deps;
  const metrics = createMetrics({ service: 'scim' });
  const verifyInternalToken = createInternalTokenVerifier({ secret: config.internalTokenSecret });
  const app = createHttpApp({ service: 'scim', logger, metrics, production: config.production, readiness: deps.ping });
  app.use(discoveryRoutes({ baseUrl: config.publicUrl }));
  // Internal: provisioning state counts for operators, read through the gateway's signed token.
  app.get('/internal/stats', requireInternalToken(verifyInternalToken, { callers: ['gateway'] }), async function showStats(_req, res) {
    const [row] = await db.select({ resources: count() }).from(scimResources);
    res.json({ resources: row?.resources ?? 0 });
  });
  finishHttpApp(app);
  return { app, close: async () => {} };
}
