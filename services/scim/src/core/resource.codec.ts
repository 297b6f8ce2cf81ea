import { attributesOf, findExtension, resolveSubAttribute, type AttributeDefinition, type ResourceTypeDefinition } from './attribute.schema';
import { present } from './filter.evaluator';
import { invalidSyntax, invalidValue } from './scim-error';

export type Json = Record<string, unknown>;

const MAX_MULTI_VALUES = 10_000;

/**
 * One attribute value as the schema says it must be: strings for strings, booleans for booleans
 * (Entra sends "False" and "True"), numbers, valid dateTimes, complex values with known
 * sub-attributes only. A bare string where a complex value is expected becomes `{value}` (Entra
 * sends a manager's id that way). Read-only sub-attributes are dropped: the server sets them.
 */
export function coerceValue(definition: AttributeDefinition, value: unknown, path: string, options: { element?: boolean } = {}): unknown {
  if (value === null || value === undefined) return undefined;
  if (definition.multiValued && !options.element) {
    const items = Array.isArray(value) ? value : [value];
    if (items.length > MAX_MULTI_VALUES) throw invalidValue(`'${path}' has too many values`);
    const coerced = items.map((item) => coerceValue(definition, item, path, { element: true })).filter(present);
    return coerced.length ? keepOnePrimary(coerced) : undefined;
  }
  switch (definition.type) {
    case 'complex':
      return coerceComplex(definition, value, path);
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
      throw invalidValue(`'${path}' must be a boolean`);
    case 'integer':
    case 'decimal': {
      const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof number !== 'number' || !Number.isFinite(number)) throw invalidValue(`'${path}' must be a number`);
      if (definition.type === 'integer' && !Number.isInteger(number)) throw invalidValue(`'${path}' must be an integer`);
      return number;
    }
    case 'dateTime':
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) throw invalidValue(`'${path}' must be a dateTime`);
      return new Date(value).toISOString();
    default:
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      if (typeof value !== 'string') throw invalidValue(`'${path}' must be a string`);
      if (value.length > 4_096) throw invalidValue(`'${path}' is too long`);
      return value;
  }
}

function coerceComplex(definition: AttributeDefinition, value: unknown, path: string): Json | undefined {
  if (typeof value === 'string' && resolveSubAttribute(definition, 'value')) return { value };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidValue(`'${path}' must be an object`);
  const out: Json = {};
  for (const [key, raw] of Object.entries(value)) {
    const sub = resolveSubAttribute(definition, key);
    if (!sub || sub.mutability === 'readOnly') continue;
    const coerced = coerceValue(sub, raw, `${path}.${sub.name}`);
    if (coerced !== undefined) out[sub.name] = coerced;
  }
  return Object.keys(out).length ? out : undefined;
}

/** RFC 7643 section 2.4: `primary: true` appears at most once; the first one wins. */
export function keepOnePrimary(items: unknown[]): unknown[] {
  let seen = false;
  return items.map((item) => {
    if (typeof item !== 'object' || item === null || (item as Json).primary !== true) return item;
    if (!seen) {
      seen = true;
      return item;
    }
    return { ...(item as Json), primary: false };
  });
}

/**
 * A POST or PUT body as the resource's stored attributes: canonical attribute names (any case is
 * accepted), coerced values, extension attributes under their URN, and nothing read-only
 * (`id`, `meta`) or unknown (Okta's `password`, custom attributes), which RFC 7644 lets a
 * service provider ignore. Required attributes must be present.
 */
export function normalizeResource(type: ResourceTypeDefinition, body: unknown): Json {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidSyntax('The body must be a JSON object');
  const out: Json = {};
  for (const [key, raw] of Object.entries(body as Json)) {
    const extension = findExtension(type, key);
    if (extension) {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalidValue(`'${extension.id}' must be an object`);
      const values = normalizeContainer(attributesOf(type, extension.id), raw as Json, `${extension.id}:`);
      if (Object.keys(values).length) out[extension.id] = values;
      continue;
    }
    Object.assign(out, normalizeContainer(attributesOf(type, null), { [key]: raw }, ''));
  }
  for (const definition of type.core.attributes.filter((a) => a.required)) {
    if (!present(out[definition.name])) throw invalidValue(`'${definition.name}' is required`);
  }
  return out;
}

function normalizeContainer(definitions: AttributeDefinition[], values: Json, prefix: string): Json {
  const out: Json = {};
  for (const [key, raw] of Object.entries(values)) {
    const definition = definitions.find((d) => d.name.toLowerCase() === key.toLowerCase());
    if (!definition || definition.mutability === 'readOnly') continue;
    const coerced = coerceValue(definition, raw, `${prefix}${definition.name}`);
    if (coerced !== undefined) out[definition.name] = coerced;
  }
  return out;
}

/** The `schemas` a resource lists: its core schema and each extension it has values for. */
export function schemasOf(type: ResourceTypeDefinition, attributes: Json): string[] {
  return [type.core.id, ...type.extensions.filter((schema) => present(attributes[schema.id])).map((schema) => schema.id)];
}
