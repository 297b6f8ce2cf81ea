/**
 * RFC 7643 attribute definitions. One definition per resource type drives everything that
 * depends on attribute characteristics: the discovery `Schemas` documents, case-insensitive
 * attribute names, input coercion, read-only handling, `attributes`/`excludedAttributes`, and
 * whether a filter compares case-sensitively.
 */
export type AttributeType = 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'complex';

export interface AttributeDefinition {
  name: string;
  type: AttributeType;
  description: string;
  multiValued: boolean;
  required: boolean;
  caseExact: boolean;
  mutability: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  returned: 'always' | 'never' | 'default' | 'request';
  uniqueness: 'none' | 'server' | 'global';
  canonicalValues?: string[];
  referenceTypes?: string[];
  subAttributes?: AttributeDefinition[];
}

export interface SchemaDefinition {
  id: string;
  name: string;
  description: string;
  attributes: AttributeDefinition[];
}

export interface ResourceTypeDefinition {
  name: 'User' | 'Group';
  endpoint: string;
  description: string;
  core: SchemaDefinition;
  extensions: SchemaDefinition[];
}

type Options = Partial<Omit<AttributeDefinition, 'name' | 'type' | 'description'>>;

export function attribute(name: string, type: AttributeType, description: string, options: Options = {}): AttributeDefinition {
  return {
    name,
    type,
    description,
    multiValued: false,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...options,
  };
}

export function complex(name: string, description: string, subAttributes: AttributeDefinition[], options: Options = {}): AttributeDefinition {
  return attribute(name, 'complex', description, { ...options, subAttributes });
}

/** The usual `value`/`display`/`type`/`primary` quartet of a multi-valued complex attribute. */
export function multiValuedComplex(name: string, description: string, types: string[], valueType: AttributeType = 'string'): AttributeDefinition {
  return complex(
    name,
    description,
    [
      attribute('value', valueType, `The ${name} value`),
      attribute('display', 'string', 'A human-readable name, for display only'),
      attribute('type', 'string', 'A label for the value', { canonicalValues: types }),
      attribute('primary', 'boolean', 'Whether this is the preferred value'),
    ],
    { multiValued: true },
  );
}

/** A resolved attribute path: the schema it belongs to, the attribute, and an optional sub-attribute. */
export interface AttributePath {
  /** Where the value lives in a resource: `null` for core attributes, else the extension URN key. */
  container: string | null;
  attribute: AttributeDefinition;
  sub: AttributeDefinition | null;
}

const COMMON_ATTRIBUTES: AttributeDefinition[] = [
  attribute('id', 'string', 'Identifier assigned by the service provider', { caseExact: true, mutability: 'readOnly', returned: 'always', uniqueness: 'server' }),
  attribute('externalId', 'string', "The provisioning client's identifier", { caseExact: true }),
  complex(
    'meta',
    'Resource metadata',
    [
      attribute('resourceType', 'string', 'The resource type', { caseExact: true, mutability: 'readOnly' }),
      attribute('created', 'dateTime', 'When the resource was added', { mutability: 'readOnly' }),
      attribute('lastModified', 'dateTime', 'When the resource last changed', { mutability: 'readOnly' }),
      attribute('location', 'reference', 'The URI of the resource', { caseExact: true, mutability: 'readOnly', referenceTypes: ['uri'] }),
      attribute('version', 'string', 'The version (ETag) of the resource', { caseExact: true, mutability: 'readOnly' }),
    ],
    { mutability: 'readOnly' },
  ),
];

const byLowerName = (attributes: AttributeDefinition[], name: string) => attributes.find((a) => a.name.toLowerCase() === name.toLowerCase()) ?? null;

/**
 * Resolves `name.givenName`, `emails.value`, `urn:...:enterprise:2.0:User:manager.value` and the
 * like, ignoring case as RFC 7644 section 3.10 requires. Returns null for unknown attributes.
 */
export function resolvePath(type: ResourceTypeDefinition, path: string): AttributePath | null {
  let container: string | null = null;
  let rest = path;
  const lower = path.toLowerCase();
  for (const schema of [type.core, ...type.extensions]) {
    const prefix = `${schema.id.toLowerCase()}:`;
    if (lower.startsWith(prefix)) {
      container = schema === type.core ? null : schema.id;
      rest = path.slice(prefix.length);
      break;
    }
  }
  const [name, subName, ...extra] = rest.split('.');
  if (!name || extra.length > 0) return null;
  const schema = container ? type.extensions.find((s) => s.id === container)! : type.core;
  const attributes = container ? schema.attributes : [...COMMON_ATTRIBUTES, ...schema.attributes];
  const found = byLowerName(attributes, name);
  if (!found) return null;
  if (subName === undefined) return { container, attribute: found, sub: null };
  const sub = found.subAttributes ? byLowerName(found.subAttributes, subName) : null;
  return sub ? { container, attribute: found, sub } : null;
}

/** The sub-attribute of a complex attribute, by name, ignoring case. */
export function resolveSubAttribute(parent: AttributeDefinition, name: string): AttributeDefinition | null {
  return parent.subAttributes ? byLowerName(parent.subAttributes, name) : null;
}

/** The top-level attributes of one container (core, with the common ones, or an extension). */
export function attributesOf(type: ResourceTypeDefinition, container: string | null): AttributeDefinition[] {
  if (container === null) return [...COMMON_ATTRIBUTES, ...type.core.attributes];
  return type.extensions.find((schema) => schema.id === container)?.attributes ?? [];
}

/** The extension schema whose URN matches `key`, ignoring case. */
export function findExtension(type: ResourceTypeDefinition, key: string): SchemaDefinition | null {
  return type.extensions.find((schema) => schema.id.toLowerCase() === key.toLowerCase()) ?? null;
}

export const commonAttributes = COMMON_ATTRIBUTES;
