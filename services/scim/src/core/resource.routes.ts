import { Router, type Request } from 'express';
import { etagFor, isNotModified } from './etag';
import { readProjection, type Projection } from './projection';
import { readListQuery, type ListQuery } from './request';
import { sendScim, tenantOf, type ScimTenant } from './scim-http';

type Versioned = { body: unknown; version: number };

/** What a resource feature implements; the HTTP side is the same for every resource type. */
export interface ResourceHandlers {
  list(tenant: ScimTenant, query: ListQuery): Promise<unknown>;
  get(tenant: ScimTenant, id: string, projection: Projection): Promise<Versioned>;
  create(tenant: ScimTenant, body: unknown): Promise<Versioned>;
  replace(tenant: ScimTenant, id: string, body: unknown, ifMatch: string | undefined): Promise<Versioned>;
  patch(tenant: ScimTenant, id: string, body: unknown, ifMatch: string | undefined): Promise<Versioned>;
  remove(tenant: ScimTenant, id: string, ifMatch: string | undefined): Promise<void>;
}

const ifMatchOf = (req: Request) => req.get('if-match') ?? undefined;

/**
 * RFC 7644 section 3 for one resource endpoint: list (GET and POST `.search`), get with
 * `If-None-Match`, create with `Location`, replace, patch and delete with `If-Match`. Every
 * answer carries the resource's ETag.
 */
export function resourceRoutes(endpoint: string, handlers: ResourceHandlers): Router {
  const router = Router();
  const id = (req: Request) => String(req.params.id);

  router.get(endpoint, async function listResources(req, res) {
    sendScim(res, 200, await handlers.list(tenantOf(res), readListQuery(req.query as Record<string, unknown>)));
  });
  router.post(`${endpoint}/.search`, async function searchResources(req, res) {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const query = Object.fromEntries(
      Object.entries(body).map(([key, value]) => [key, Array.isArray(value) ? value.join(',') : value === undefined ? undefined : String(value)]),
    );
    sendScim(res, 200, await handlers.list(tenantOf(res), readListQuery(query)));
  });
  router.get(`${endpoint}/:id`, async function showResource(req, res) {
    const found = await handlers.get(tenantOf(res), id(req), readProjection(req.query as Record<string, unknown>));
    if (isNotModified(req.get('if-none-match') ?? undefined, found.version)) {
      res.status(304).set('ETag', etagFor(found.version)).end();
      return;
    }
    sendScim(res, 200, found.body, { ETag: etagFor(found.version) });
  });
  router.post(endpoint, async function createResource(req, res) {
    const created = await handlers.create(tenantOf(res), req.body);
    const location = ((created.body as { meta?: { location?: string } }).meta?.location) ?? '';
    sendScim(res, 201, created.body, { ETag: etagFor(created.version), Location: location });
  });
  router.put(`${endpoint}/:id`, async function replaceResource(req, res) {
    const replaced = await handlers.replace(tenantOf(res), id(req), req.body, ifMatchOf(req));
    sendScim(res, 200, replaced.body, { ETag: etagFor(replaced.version) });
  });
  router.patch(`${endpoint}/:id`, async function patchResource(req, res) {
    const patched = await handlers.patch(tenantOf(res), id(req), req.body, ifMatchOf(req));
    sendScim(res, 200, patched.body, { ETag: etagFor(patched.version) });
  });
  router.delete(`${endpoint}/:id`, async function deleteResource(req, res) {
    await handlers.remove(tenantOf(res), id(req), ifMatchOf(req));
    res.status(204).end();
  });
  return router;
}
