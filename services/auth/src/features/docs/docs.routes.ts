import swaggerUi from 'swagger-ui-express';
// Imported rather than read at run time, so the bundle (tsup) carries it.
import packageJson from '../../../package.json' with { type: 'json' };
import type { AuthCore } from '../../core/core';
import { buildOpenApiDocument } from '../../core/http/openapi';
import { defineRoute, type RouteSpec } from '../../core/http/route';

const { version } = packageJson;

/** The committed `services/auth/openapi.json` is generated with this server URL (seed 000's). */
export const DEFAULT_OPENAPI_SERVER_URL = 'http://localhost:3008';

/** The OpenAPI document of `routes`, serialised with a trailing newline: the exact bytes of the committed file. */
export function renderOpenApiDocument(routes: readonly RouteSpec[], serverUrl = DEFAULT_OPENAPI_SERVER_URL): string {
  return `${JSON.stringify(buildOpenApiDocument(routes, { version, serverUrl }), null, 2)}\n`;
}

/**
 * `/openapi.json` and `/docs` (Swagger UI from the assets in the swagger-ui-dist package, served
 * from auth itself: nothing is loaded from a CDN, so helmet's same-origin CSP holds).
 */
export function docsRoutes(core: Pick<AuthCore, 'config'>, allRoutes: () => readonly RouteSpec[]) {
  let rendered: string | undefined;
  const showSwaggerUi = swaggerUi.setup(undefined, { swaggerUrl: '/openapi.json', customSiteTitle: 'Malet auth API' });
  return [
    defineRoute({
      method: 'get',
      path: '/openapi.json',
      summary: 'This document (OpenAPI 3.1)',
      tags: ['Docs'],
      access: 'public',
      limit: 'standard',
      cacheControl: 'no-cache',
      responses: { 200: { description: 'The OpenAPI document' } },
      handle({ res }) {
        // Rendered on first request, when every module's routes are known.
        rendered ??= renderOpenApiDocument(allRoutes(), core.config.publicUrl);
        res.type('application/json').send(rendered);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/docs',
      summary: 'Swagger UI for this document',
      tags: ['Docs'],
      access: 'public',
      limit: 'standard',
      cacheControl: 'no-cache',
      responses: { 200: { description: 'HTML' }, 301: { description: 'To `/docs/`' } },
      handle({ req, res }) {
        // Swagger UI's page loads its assets relative to itself, so it must be served at `/docs/`.
        if (!req.originalUrl.split('?')[0]!.endsWith('/')) {
          res.redirect(301, '/docs/');
          return;
        }
        return new Promise<void>((resolve, reject) => {
          res.once('finish', () => resolve());
          showSwaggerUi(req, res, (error?: unknown) => (error ? reject(error) : resolve()));
        });
      },
    }),
  ];
}
