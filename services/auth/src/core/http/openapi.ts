import { z } from 'zod';
import { coreErrors, platformErrors } from '../errors/core.errors';
import type { DeclaredError } from '../errors/error-catalogue';
import { RATE_LIMIT_POLICIES } from '../rate-limit/rate-limit.policies';
import type { ResponseDoc, RouteSpec } from './route';

/**
 * The REST surface as OpenAPI 3.1 (whose schema dialect is JSON Schema 2020-12, zod's native
 * output), built from the same route declarations that are mounted: request schemas are the
 * ones that validate, and each error answer lists the declared codes the route can give.
 */

export const errorBody = z.object({
  status: z.number().int(),
  code: z.string(),
  details: z.string().optional(),
  fields: z.array(z.string()).optional(),
  error_id: z.string().optional(),
});

const schemaOf = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });

/** `/auth/sessions/:id` → `/auth/sessions/{id}`. */
export const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** The error codes a route can answer, by status: its own plus those its declaration implies. */
function errorsByStatus(route: RouteSpec): Map<number, DeclaredError[]> {
  const implied: DeclaredError[] = [];
  if (route.body || route.query || route.params) implied.push(platformErrors.codes.invalidRequest);
  if (route.access !== 'public') implied.push(coreErrors.codes.invalidSession);
  if (route.access === 'recent') implied.push(coreErrors.codes.reauthenticationRequired);
  if (route.method !== 'get' && !route.crossSitePosts) implied.push(coreErrors.codes.originNotTrusted, coreErrors.codes.crossSite);
  if (RATE_LIMIT_POLICIES[route.limit].checks.length > 0) implied.push(platformErrors.codes.rateLimited);
  const byStatus = new Map<number, DeclaredError[]>();
  for (const error of [...implied, ...(route.errors ?? [])]) {
    const list = byStatus.get(error.status) ?? [];
    if (!list.includes(error)) list.push(error);
    byStatus.set(error.status, list);
  }
  return byStatus;
}

function responsesOf(route: RouteSpec): Record<string, ResponseDoc> {
  const responses: Record<string, ResponseDoc> = {};
  for (const [status, errors] of [...errorsByStatus(route)].sort(([a], [b]) => a - b)) {
    responses[status] = { description: errors.map((error) => `\`${error.code}\`: ${error.description}`).join('; ') };
  }
  // Declared responses win: an HTML error page, or a more specific description.
  for (const [status, response] of Object.entries(route.responses)) responses[status] = response;
  return Object.fromEntries(Object.entries(responses).sort(([a], [b]) => Number(a) - Number(b)));
}

export function buildOpenApiDocument(routes: readonly RouteSpec[], info: { version: string; serverUrl: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  const sorted = [...routes].sort((a, b) => openApiPath(a.path).localeCompare(openApiPath(b.path)) || a.method.localeCompare(b.method));
  for (const route of sorted) {
    const path = openApiPath(route.path);
    const operation: Record<string, unknown> = {
      summary: route.summary,
      tags: route.tags,
      security: route.access === 'public' && !route.readsCredential ? [] : [{ sessionCookie: [] }, { bearer: [] }],
      responses: Object.fromEntries(
        Object.entries(responsesOf(route)).map(([status, response]) => [
          status,
          {
            description: response.description,
            ...(response.body || Number(status) >= 400
              ? { content: { 'application/json': { schema: schemaOf(response.body ?? errorBody) } } }
              : {}),
          },
        ]),
      ),
    };
    if (route.body) operation.requestBody = { required: true, content: { 'application/json': { schema: schemaOf(route.body) } } };
    const parameters: unknown[] = [];
    if (route.query) {
      const shape = (route.query as z.ZodObject).shape as Record<string, z.ZodType>;
      for (const [name, schema] of Object.entries(shape)) {
        parameters.push({ name, in: 'query', required: !schema.safeParse(undefined).success, schema: schemaOf(schema) });
      }
    }
    for (const match of path.matchAll(/\{([^}]+)\}/g)) parameters.push({ name: match[1], in: 'path', required: true, schema: { type: 'string' } });
    if (parameters.length) operation.parameters = parameters;
    (paths[path] ??= {})[route.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Malet auth API', version: info.version },
    servers: [{ url: info.serverUrl }],
    components: {
      securitySchemes: {
        sessionCookie: { type: 'apiKey', in: 'cookie', name: 'session_token' },
        bearer: { type: 'http', scheme: 'bearer' },
      },
    },
    paths,
  };
}
