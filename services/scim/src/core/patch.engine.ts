import { findExtension, resolvePath, resolveSubAttribute, type AttributeDefinition, type ResourceTypeDefinition } from './attribute.schema';
import { matchesFilter, present } from './filter.evaluator';
import { parsePatchPath, type Filter } from './filter.parser';
import { coerceValue, keepOnePrimary, type Json } from './resource.codec';
import { invalidPath, invalidSyntax, invalidValue, noTarget } from './scim-error';

export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const MAX_OPERATIONS = 1_000;

type Op = 'add' | 'remove' | 'replace';

interface Operation {
  op: Op;
  path: string | null;
  value: unknown;
}

/**
 * Applies an RFC 7644 section 3.5.2 PATCH to a resource's stored attributes and returns the new
 * attributes (the input is not modified). Besides the RFC it accepts what real clients send:
 * capitalised ops (`Replace`), string booleans (`"False"`), path-less values whose keys are
 * dotted or URN-prefixed paths (Entra), path-less `replace` of `{"active": false}` (Okta, AWS),
 * filtered paths on values that do not exist yet (Entra creates them), member `add` without
 * `type` (Okta) and `remove` of `members` with a value list. Read-only attributes are ignored,
 * as the RFC allows.
 */
export function applyPatch(type: ResourceTypeDefinition, attributes: Json, body: unknown): Json {
  const operations = readOperations(body);
  const data = structuredClone(attributes);
  for (const operation of operations) {
    if (operation.path === null) applyPathless(type, data, operation);
    else applyAtPath(type, data, operation.op, operation.path, operation.value, { explicit: true });
  }
  return data;
}

function readOperations(body: unknown): Operation[] {
  if (typeof body !== 'object' || body === null) throw invalidSyntax('The body must be a PatchOp message');
  const message = body as { schemas?: unknown; Operations?: unknown; operations?: unknown };
  if (Array.isArray(message.schemas) && !message.schemas.includes(PATCH_OP_SCHEMA)) throw invalidSyntax(`schemas must include ${PATCH_OP_SCHEMA}`);
  const raw = message.Operations ?? message.operations;
  if (!Array.isArray(raw) || raw.length === 0) throw invalidSyntax('Operations must be a non-empty array');
  if (raw.length > MAX_OPERATIONS) throw invalidSyntax(`At most ${MAX_OPERATIONS} operations per request`);
  return raw.map((entry, index) => {
    if (typeof entry !== 'object' || entry === null) throw invalidSyntax(`Operations[${index}] must be an object`);
    const { op, path, value } = entry as { op?: unknown; path?: unknown; value?: unknown };
    const name = typeof op === 'string' ? op.toLowerCase() : '';
    if (name !== 'add' && name !== 'remove' && name !== 'replace') throw invalidSyntax(`Operations[${index}].op must be add, remove or replace`);
    if (path !== undefined && path !== null && typeof path !== 'string') throw invalidPath(`Operations[${index}].path must be a string`);
    const hasPath = typeof path === 'string' && path.trim() !== '';
    if (!hasPath && name === 'remove') throw noTarget('remove needs a path');
    if (!hasPath && (typeof value !== 'object' || value === null || Array.isArray(value))) {
      throw invalidValue(`Operations[${index}] without a path needs an object value`);
    }
    return { op: name, path: hasPath ? (path as string) : null, value };
  });
}

/** A path-less add or replace: each key of the value names a target (RFC 7644 3.5.2.1 and 3.5.2.3). */
function applyPathless(type: ResourceTypeDefinition, data: Json, operation: Operation): void {
  for (const [key, value] of Object.entries(operation.value as Json)) {
    const extension = findExtension(type, key);
    if (extension) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidValue(`'${extension.id}' must be an object`);
      for (const [inner, innerValue] of Object.entries(value as Json)) {
        applyAtPath(type, data, operation.op, `${extension.id}:${inner}`, innerValue, { explicit: false });
      }
      continue;
    }
    applyAtPath(type, data, operation.op, key, value, { explicit: false });
  }
}

function applyAtPath(type: ResourceTypeDefinition, data: Json, op: Op, pathText: string, value: unknown, options: { explicit: boolean }): void {
  const path = parsePatchPath(pathText);
  const resolved = resolvePath(type, path.filter ? path.attribute : pathText.trim());
  if (!resolved || (path.filter && resolved.sub)) {
    // Unknown keys inside a path-less value are ignored like unknown attributes in a POST.
    if (!options.explicit) return;
    throw invalidPath(`Unknown attribute '${pathText}'`);
  }
  const { attribute } = resolved;
  const sub = path.filter ? (path.sub ? resolveSubAttribute(attribute, path.sub) : null) : resolved.sub;
  if (path.sub && !sub) throw invalidPath(`Unknown sub-attribute '${path.sub}' of ${attribute.name}`);
  if (attribute.mutability === 'readOnly' || sub?.mutability === 'readOnly') return;
  if (path.filter && !attribute.multiValued) throw invalidPath(`'${attribute.name}' is not multi-valued`);

  const holder = containerFor(data, resolved.container, op);
  if (!holder) return;
  if (path.filter) applyFiltered(holder, attribute, sub, path.filter, op, value, pathText);
  else if (sub) applyToSubAttribute(holder, attribute, sub, op, value, pathText);
  else applyToAttribute(holder, attribute, op, value, pathText);
  if (resolved.container && !present(holder)) delete data[resolved.container];
}

function containerFor(data: Json, container: string | null, op: Op): Json | null {
  if (container === null) return data;
  const existing = data[container];
  if (typeof existing === 'object' && existing !== null) return existing as Json;
  if (op === 'remove') return null;
  const created: Json = {};
  data[container] = created;
  return created;
}

function applyToAttribute(holder: Json, attribute: AttributeDefinition, op: Op, value: unknown, path: string): void {
  if (op === 'remove') {
    if (attribute.multiValued && value !== undefined && value !== null) {
      // `{"op":"remove","path":"members","value":[{"value":"id"}]}`: remove just those values.
      const doomed = (coerceValue(attribute, value, path) as unknown[] | undefined) ?? [];
      const keys = new Set(doomed.map(identityOf));
      setOrDelete(holder, attribute.name, asArray(holder[attribute.name]).filter((item) => !keys.has(identityOf(item))));
    } else {
      delete holder[attribute.name];
    }
    return;
  }
  const coerced = coerceValue(attribute, value, path);
  if (coerced === undefined) {
    if (op === 'replace') delete holder[attribute.name];
    return;
  }
  if (attribute.multiValued) {
    const incoming = coerced as unknown[];
    if (op === 'replace') {
      setOrDelete(holder, attribute.name, dedupe(incoming));
    } else {
      // A newly added primary value demotes the old one (RFC 7644 3.5.2.1).
      const existing = incoming.some((item) => (item as Json).primary === true)
        ? asArray(holder[attribute.name]).map((item) => (isObject(item) && item.primary === true ? { ...item, primary: false } : item))
        : asArray(holder[attribute.name]);
      setOrDelete(holder, attribute.name, dedupe([...existing, ...incoming]));
    }
    return;
  }
  if (attribute.type === 'complex' && isObject(holder[attribute.name])) {
    // Sub-attributes not named in the value are left as they were (RFC 7644 3.5.2.3).
    holder[attribute.name] = { ...(holder[attribute.name] as Json), ...(coerced as Json) };
    return;
  }
  holder[attribute.name] = coerced;
}

function applyToSubAttribute(holder: Json, attribute: AttributeDefinition, sub: AttributeDefinition, op: Op, value: unknown, path: string): void {
  const targets = attribute.multiValued ? asArray(holder[attribute.name]).filter(isObject) : isObject(holder[attribute.name]) ? [holder[attribute.name] as Json] : [];
  if (op === 'remove') {
    for (const target of targets) delete target[sub.name];
  } else {
    const coerced = coerceValue(sub, value, path);
    if (targets.length === 0 && !attribute.multiValued && coerced !== undefined) {
      holder[attribute.name] = { [sub.name]: coerced };
      return;
    }
    for (const target of targets) {
      if (coerced === undefined) delete target[sub.name];
      else target[sub.name] = coerced;
    }
  }
  if (attribute.multiValued) setOrDelete(holder, attribute.name, asArray(holder[attribute.name]).filter(present));
  else if (!present(holder[attribute.name])) delete holder[attribute.name];
}

function applyFiltered(
  holder: Json,
  attribute: AttributeDefinition,
  sub: AttributeDefinition | null,
  filter: Filter,
  op: Op,
  value: unknown,
  path: string,
): void {
  const scope = { kind: 'element' as const, parent: attribute };
  const items = asArray(holder[attribute.name]);
  const matched = new Set(items.filter((item) => isObject(item) && matchesFilter(scope, item, filter)));
  if (op === 'remove') {
    const kept = sub
      ? items.map((item) => (matched.has(item) ? withoutKey(item as Json, sub.name) : item)).filter(present)
      : items.filter((item) => !matched.has(item));
    setOrDelete(holder, attribute.name, kept);
    return;
  }
  const coerced = sub ? coerceValue(sub, value, path) : coerceValue(attribute, value, path, { element: true });
  if (coerced === undefined) return;
  if (matched.size === 0) {
    // Entra sets `emails[type eq "work"].value` on users with no work email: create the element
    // the filter describes. Only equality filters describe one; anything else has no target.
    const seed = elementFromFilter(filter);
    if (!seed) throw noTarget(`No value matches '${path}'`);
    const element = sub ? { ...seed, [sub.name]: coerced } : { ...seed, ...(coerced as Json) };
    setOrDelete(holder, attribute.name, keepOnePrimary([...items, coerceValue(attribute, element, path, { element: true })]));
    return;
  }
  const updated = items.map((item) => {
    if (!matched.has(item)) return item;
    if (sub) return { ...(item as Json), [sub.name]: coerced };
    return op === 'add' ? { ...(item as Json), ...(coerced as Json) } : { ...(coerced as Json) };
  });
  setOrDelete(holder, attribute.name, keepOnePrimary(updated));
}

/** `type eq "work" and primary eq true` describes `{type: "work", primary: true}`; other filters describe nothing. */
function elementFromFilter(filter: Filter): Json | null {
  if (filter.kind === 'compare' && filter.op === 'eq' && filter.value !== null) return { [filter.path]: filter.value };
  if (filter.kind === 'and') {
    const left = elementFromFilter(filter.left);
    const right = elementFromFilter(filter.right);
    return left && right ? { ...left, ...right } : null;
  }
  return null;
}

function identityOf(item: unknown): string {
  return isObject(item) && 'value' in item ? `value:${JSON.stringify(item.value)}` : JSON.stringify(item);
}

/** Multi-valued attributes hold each value once: the later occurrence of a `value` updates the earlier. */
function dedupe(items: unknown[]): unknown[] {
  const byIdentity = new Map<string, unknown>();
  for (const item of items) {
    const key = identityOf(item);
    const earlier = byIdentity.get(key);
    byIdentity.set(key, isObject(earlier) && isObject(item) ? { ...earlier, ...item } : item);
  }
  return [...byIdentity.values()];
}

function setOrDelete(holder: Json, name: string, items: unknown[]): void {
  if (items.length) holder[name] = items;
  else delete holder[name];
}

function withoutKey(item: Json, key: string): Json {
  const { [key]: _removed, ...rest } = item;
  return rest;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
