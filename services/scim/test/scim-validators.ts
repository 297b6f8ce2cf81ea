import SCIMMY from 'scimmy';
import { expect } from 'vitest';

// scimmy is an independent SCIM implementation: every response is checked against its schemas.
// scimmy types extend() for instances; at run time it takes the schema class, as its docs show.
SCIMMY.Schemas.User.extend(SCIMMY.Schemas.EnterpriseUser as unknown as SCIMMY.Types.Schema, false);

type Json = Record<string, unknown>;

/** Validates one User or Group representation with scimmy's outbound coercion, which throws on any nonconformity. */
export function expectValidResource(body: unknown): void {
  const resource = body as Json;
  const schemas = resource.schemas as string[];
  if (schemas.includes(SCIMMY.Schemas.Group.id)) new SCIMMY.Schemas.Group(resource, 'out');
  else new SCIMMY.Schemas.User(resource, 'out');
  expect(resource.id).toEqual(expect.any(String));
  const meta = resource.meta as Json;
  expect(String(meta.location)).toMatch(/^https?:\/\/[^/]+\/scim\/v2\/(Users|Groups)\/[0-9a-f-]{36}$/);
  expect(meta.version).toMatch(/^W\/"\d+"$/);
}

export function expectValidList(body: unknown): Json[] {
  const list = new SCIMMY.Messages.ListResponse(body as SCIMMY.Messages.ListResponse);
  const raw = body as Json;
  expect(list.totalResults).toBe(raw.totalResults);
  expect(raw.itemsPerPage).toBe((raw.Resources as unknown[]).length);
  for (const resource of raw.Resources as unknown[]) expectValidResource(resource);
  return raw.Resources as Json[];
}

/** The RFC 7644 error schema as scimmy builds it from the same status, scimType and detail. */
export function expectScimError(response: { status: number; body: unknown; contentType: string | null }, status: number, scimType?: string): void {
  expect(response.status).toBe(status);
  expect(response.contentType).toMatch(/^application\/scim\+json/);
  const body = response.body as Json;
  const rebuilt = new SCIMMY.Messages.ErrorResponse({ status: Number(body.status) as 400, scimType: body.scimType as 'invalidValue', detail: body.detail as string });
  expect(body).toEqual(JSON.parse(JSON.stringify(rebuilt)));
  expect(body.status).toBe(String(status));
  if (scimType) expect(body.scimType).toBe(scimType);
}

export function expectValidDiscovery(serviceProviderConfig: unknown, resourceTypes: unknown): void {
  new SCIMMY.Schemas.ServiceProviderConfig(serviceProviderConfig as Json, 'out');
  for (const type of (resourceTypes as { Resources: Json[] }).Resources) new SCIMMY.Schemas.ResourceType(type, 'out');
}
