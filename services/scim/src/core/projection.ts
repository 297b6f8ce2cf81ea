import { resolvePath, type ResourceTypeDefinition } from './attribute.schema';
import type { Json } from './resource.codec';

export interface Projection {
  attributes: string[];
  excludedAttributes: string[];
}

/** `?attributes=a,b.c&excludedAttributes=d` (RFC 7644 section 3.4.2.5); unknown names are ignored. */
export function readProjection(query: Record<string, unknown>): Projection {
  const list = (name: string) => {
    const raw = Object.entries(query).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];
    return typeof raw === 'string' ? raw.split(',').map((part) => part.trim()).filter(Boolean) : [];
  };
  return { attributes: list('attributes'), excludedAttributes: list('excludedAttributes') };
}

/**
 * Applies `attributes` (only these, plus what is always returned: `schemas`, `id`) or
 * `excludedAttributes` (all but these) to a wire representation.
 */
export function project(type: ResourceTypeDefinition, resource: Json, projection: Projection): Json {
  if (projection.attributes.length) {
    const out: Json = { schemas: resource.schemas, id: resource.id };
    for (const name of projection.attributes) copyPath(type, resource, out, name);
    return out;
  }
  if (!projection.excludedAttributes.length) return resource;
  const out = structuredClone(resource);
  for (const name of projection.excludedAttributes) {
    const path = resolvePath(type, name);
    if (!path || path.attribute.returned === 'always') continue;
    const holder = (path.container ? out[path.container] : out) as Json | undefined;
    if (!holder) continue;
    if (!path.sub) delete holder[path.attribute.name];
    else for (const item of [holder[path.attribute.name]].flat()) if (item && typeof item === 'object') delete (item as Json)[path.sub.name];
  }
  return out;
}

function copyPath(type: ResourceTypeDefinition, from: Json, to: Json, name: string): void {
  const path = resolvePath(type, name);
  if (!path) return;
  const source = (path.container ? from[path.container] : from) as Json | undefined;
  const value = source?.[path.attribute.name];
  if (value === undefined) return;
  const target = path.container ? ((to[path.container] ??= {}) as Json) : to;
  if (!path.sub) {
    target[path.attribute.name] = value;
    return;
  }
  const pick = (item: unknown) => {
    const existing = item as Json;
    return existing[path.sub!.name] === undefined ? undefined : { [path.sub!.name]: existing[path.sub!.name] };
  };
  if (Array.isArray(value)) {
    const previous = (target[path.attribute.name] as Json[] | undefined) ?? value.map(() => ({}));
    target[path.attribute.name] = value.map((item, index) => ({ ...previous[index], ...pick(item) }));
  } else if (value && typeof value === 'object') {
    target[path.attribute.name] = { ...(target[path.attribute.name] as Json | undefined), ...pick(value) };
  }
}
