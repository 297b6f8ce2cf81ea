import { z } from 'zod';

/**
 * The REST surface documented from the same zod schemas that validate requests. Each routes
 * module calls `documentRoute` next to its handlers; `buildOpenApiDocument` turns the registry
 * into OpenAPI 3.1 (whose schema dialect is JSON Schema 2020-12, zod's native output).
 */
export interface RouteDoc {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI path syntax: `/auth/saml/{org_id}/acs`. */
  path: string;
  summary: string;
  tags: string[];
  /** Which credential the route needs. */
  auth: 'none' | 'session' | 'dev';
  body?: z.ZodType;
  query?: z.ZodObject;
  responses: Record<number, { description: string; body?: z.ZodType }>;
}

const routes = new Map<string, RouteDoc>();

export function documentRoute(doc: RouteDoc): void {
  routes.set(`${doc.method} ${doc.path}`, doc);
}

export const errorBody = z.object({
  status: z.number().int(),
  code: z.string(),
  details: z.string().optional(),
  fields: z.array(z.string()).optional(),
  error_id: z.string().optional(),
});

/** What every sign-in method answers (routes/sign-in-response.ts `sendSignInResult`). */
export const sessionIssuedBody = z.object({
  session_token: z.string().meta({ example: 'sess_a1b2c3d4...' }),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int().meta({ example: 86400 }),
  /** Exchange at `POST /auth/refresh` (`{"refresh_token": ...}`); rotated on every use. */
  refresh_token: z.string().meta({ example: 'ref_e5f6g7h8...' }),
  refresh_expires_in: z.number().int().meta({ example: 2592000 }),
  user: z.object({ id: z.string(), email: z.string() }),
});
export const mfaRequiredBody = z.object({
  mfa_required: z.literal(true),
  /** Present it to `/auth/mfa/verify` or `/auth/mfa/backup`. */
  mfa_token: z.string(),
  mfa_methods: z.array(z.string()),
});
export const signInResponseBody = z.union([sessionIssuedBody, mfaRequiredBody]);

const schemaOf = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });

export function buildOpenApiDocument(info: { version: string; serverUrl: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const doc of [...routes.values()].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method))) {
    const operation: Record<string, unknown> = {
      summary: doc.summary,
      tags: doc.tags,
      security: doc.auth === 'session' ? [{ sessionCookie: [] }, { bearer: [] }] : [],
      responses: Object.fromEntries(
        Object.entries(doc.responses).map(([status, response]) => [
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
    if (doc.body) operation.requestBody = { required: true, content: { 'application/json': { schema: schemaOf(doc.body) } } };
    if (doc.query) {
      operation.parameters = Object.entries(doc.query.shape).map(([name, schema]) => ({
        name,
        in: 'query',
        required: !(schema as z.ZodType).safeParse(undefined).success,
        schema: schemaOf(schema as z.ZodType),
      }));
    }
    const pathParameters = [...doc.path.matchAll(/\{([^}]+)\}/g)].map((match) => ({
      name: match[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    if (pathParameters.length) operation.parameters = [...((operation.parameters as unknown[]) ?? []), ...pathParameters];
    (paths[doc.path] ??= {})[doc.method] = operation;
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
