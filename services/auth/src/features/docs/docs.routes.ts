import { Router } from 'express';
import swaggerUi from 'swagger-ui-express';
// Imported rather than read at run time, so the bundle (tsup) carries it.
import packageJson from '../../package.json' with { type: 'json' };
import { buildOpenApiDocument, documentRoute } from './openapi';
import type { RateLimitGuard } from './rate-limit';

const { version } = packageJson;

/** The committed `services/auth/openapi.json` is generated with this server URL (seed 000's). */
export const DEFAULT_OPENAPI_SERVER_URL = 'http://localhost:3008';

/**
 * The OpenAPI document of every route documented so far (each routes module registers its own
 * with `documentRoute`, from the zod schemas that validate it). Serialised with a trailing
 * newline: the exact bytes of the committed file.
 */
export function renderOpenApiDocument(serverUrl = DEFAULT_OPENAPI_SERVER_URL): string {
  return `${JSON.stringify(buildOpenApiDocument({ version, serverUrl }), null, 2)}\n`;
}

documentRoute({
  method: 'get',
  path: '/openapi.json',
  summary: 'This document (OpenAPI 3.1)',
  tags: ['Docs'],
  auth: 'none',
  responses: { 200: { description: 'The OpenAPI document' } },
});
documentRoute({
  method: 'get',
  path: '/docs',
  summary: 'Swagger UI for this document',
  tags: ['Docs'],
  auth: 'none',
  responses: { 200: { description: 'HTML' }, 301: { description: 'To `/docs/`' } },
});

/**
 * `/openapi.json` and `/docs` (Swagger UI from the assets in the swagger-ui-dist package, served
 * from auth itself: nothing is loaded from a CDN, so helmet's same-origin CSP holds).
 */
export function docsRoutes(deps: { limits: RateLimitGuard; serverUrl: string }): Router {
  const router = Router();
  let rendered: string | undefined;

  router.get('/openapi.json', deps.limits.limit('standard'), function serveOpenApiDocument(_req, res) {
    // Rendered on first request, when every routes module has registered its routes.
    rendered ??= renderOpenApiDocument(deps.serverUrl);
    res.type('application/json').send(rendered);
  });

  const showSwaggerUi = swaggerUi.setup(undefined, { swaggerUrl: '/openapi.json', customSiteTitle: 'Malet auth API' });
  router.get('/docs', deps.limits.limit('standard'), function serveSwaggerUi(req, res, next) {
    // Swagger UI's page loads its assets relative to itself, so it must be served at `/docs/`.
    if (!req.originalUrl.split('?')[0]!.endsWith('/')) {
      res.redirect(301, '/docs/');
      return;
    }
    showSwaggerUi(req, res, next);
  });
  router.use('/docs', deps.limits.limit('standard'), ...swaggerUi.serve);
  return router;
}
