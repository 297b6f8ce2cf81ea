import swaggerUi from 'swagger-ui-express';
import type { AuthCore } from '../../core/core';
import type { RouteSpec } from '../../core/http/route';
import type { AuthModule } from '../../core/module';
import { docsRoutes } from './docs.routes';

/** The OpenAPI document of every mounted route, and Swagger UI for it. */
export function createDocsModule(core: AuthCore, allRoutes: () => readonly RouteSpec[]): AuthModule {
  return {
    name: 'docs',
    routes: docsRoutes(core, allRoutes),
    assets: { path: '/docs', handlers: [core.limits.limit('standard'), ...swaggerUi.serve] },
  };
}
