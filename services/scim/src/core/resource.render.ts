import type { ResourceTypeDefinition } from './attribute.schema';
import { etagFor } from './etag';
import { schemasOf, type Json } from './resource.codec';

export interface StoredResource {
  id: string;
  attributes: unknown;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** The wire representation of a stored resource, with an absolute `meta.location` and its version. */
export function renderResource(type: ResourceTypeDefinition, resource: StoredResource, baseUrl: string, extra: Json = {}): Json {
  const attributes = { ...(resource.attributes as Json), ...extra };
  return {
    schemas: schemasOf(type, attributes),
    id: resource.id,
    ...attributes,
    meta: {
      resourceType: type.name,
      created: resource.createdAt.toISOString(),
      lastModified: resource.updatedAt.toISOString(),
      location: `${baseUrl}${type.endpoint}/${resource.id}`,
      version: etagFor(resource.version),
    },
  };
}
