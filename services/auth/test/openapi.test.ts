import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { Express } from 'express';
import { describe, expect, it } from 'vitest';
import { renderOpenApiDocument } from '../src/features/docs/docs.routes';
import { startAuthForFile } from './support';

const { auth } = startAuthForFile();

const committedPath = new URL('../openapi.json', import.meta.url);
type OpenApi = { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };

/** Routes the express app actually serves, as `METHOD /openapi/{style}` strings. */
function servedRoutes(app: Express): string[] {
  const found: string[] = [];
  type Layer = { route?: { path: unknown; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route && typeof layer.route.path === 'string') {
        const path = layer.route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
        for (const method of Object.keys(layer.route.methods)) found.push(`${method.toUpperCase()} ${path}`);
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return [...new Set(found)];
}

/** Infrastructure endpoints every service has, outside the auth REST surface. */
const INFRASTRUCTURE = new Set(['GET /health', 'GET /ready', 'GET /metrics', 'POST /graphql']);
/** Endpoints for other services only (internal token required, like /graphql): not the public API. */
const isInternal = (route: string) => route.split(' ')[1]!.startsWith('/internal/');

describe('the OpenAPI document', () => {
  it('is committed and up to date: services/auth/openapi.json equals a fresh generation (run `pnpm --filter @malet/auth openapi`)', async () => {
    const committed = readFileSync(committedPath, 'utf8');
    const served = (await auth.api.get('/openapi.json')).text;
    expect(served).toBe(renderOpenApiDocument(auth.routes));
    expect(committed).toBe(served);
  });

  it('is a valid OpenAPI 3.1 document (checked against the official schema by an independent validator)', async () => {
    const result = await new Validator().validate(JSON.parse(renderOpenApiDocument(auth.routes)) as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('documents every route the service serves', () => {
    const document = JSON.parse(renderOpenApiDocument(auth.routes)) as OpenApi;
    const documented = new Set(Object.entries(document.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)));
    const served = servedRoutes(auth.app);
    expect(served).toContain('POST /auth/email/login/start');
    const undocumented = served.filter((route) => !INFRASTRUCTURE.has(route) && !isInternal(route) && !documented.has(route));
    expect(undocumented, `undocumented routes: ${undocumented.join(', ')}`).toEqual([]);
  });

  it('documents only routes that exist: every documented operation answers something other than route_not_found', async () => {
    const document = JSON.parse(renderOpenApiDocument(auth.routes)) as OpenApi;
    expect(document.openapi).toBe('3.1.0');
    const missing: string[] = [];
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        expect(Object.keys(operation.responses).length, `${method} ${path} has responses`).toBeGreaterThan(0);
        const concrete = path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
        const response = await auth.api.request(method.toUpperCase(), concrete, method === 'get' ? undefined : '{}', { redirect: 'manual' });
        if (response.status === 404 && response.text.includes('request:route_not_found')) missing.push(`${method.toUpperCase()} ${path}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('serves Swagger UI at /docs from local assets, pointed at /openapi.json', async () => {
    const redirect = await auth.api.get('/docs', undefined, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/docs/');

    const page = await auth.api.get('/docs/');
    expect(page.status).toBe(200);
    const html = page.text;
    expect(html).toContain('swagger-ui');
    // helmet's CSP allows same-origin scripts only; Swagger UI's page must not need inline script.
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(html).not.toMatch(/<script>(?!\s*<\/script>)/);
    const scripts = [...html.matchAll(/<script src="\.\/([^"]+)"/g)].map((match) => match[1]!);
    expect(scripts).toContain('swagger-ui-init.js');
    for (const script of [...scripts, 'swagger-ui.css']) {
      const asset = await auth.api.get(`/docs/${script}`);
      expect(asset.status, script).toBe(200);
      if (script === 'swagger-ui-init.js') expect(asset.text).toContain('/openapi.json');
    }
  });

  it('documents requests with the schemas that validate them', () => {
    const document = JSON.parse(renderOpenApiDocument(auth.routes)) as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Record<string, unknown> }> } }>>;
    };
    const finish = document.paths['/auth/email/login/finish']!.post!.requestBody!.content['application/json']!.schema;
    expect(finish).toMatchObject({
      type: 'object',
      required: ['email', 'code'],
      additionalProperties: false,
      properties: { email: { maxLength: 254, format: 'email' }, code: { pattern: '^\\d{6}$' } },
    });
  });
});
