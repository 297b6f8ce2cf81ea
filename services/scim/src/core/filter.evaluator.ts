import { resolvePath, resolveSubAttribute, type AttributeDefinition, type ResourceTypeDefinition } from './attribute.schema';
import type { CompareOperator, CompareValue, Filter } from './filter.parser';
import { invalidFilter } from './scim-error';

type Json = Record<string, unknown>;

/** Where a path is resolved: at the top of a resource, or inside one element of a multi-valued attribute. */
export type FilterScope = { kind: 'resource'; type: ResourceTypeDefinition } | { kind: 'element'; parent: AttributeDefinition };

interface Operand {
  definition: AttributeDefinition;
  values: unknown[];
}

/** The values a path names in `target`, with the definition that says how to compare them. */
function operandOf(scope: FilterScope, target: Json, path: string): Operand {
  if (scope.kind === 'element') {
    const definition = resolveSubAttribute(scope.parent, path);
    if (!definition) throw invalidFilter(`Unknown sub-attribute '${path}' of ${scope.parent.name}`);
    return { definition, values: present(target[definition.name]) ? [target[definition.name]] : [] };
  }
  const resolved = resolvePath(scope.type, path);
  if (!resolved) throw invalidFilter(`Unknown attribute '${path}'`);
  const holder = (resolved.container ? target[resolved.container] : target) as Json | undefined;
  const raw = holder?.[resolved.attribute.name];
  const items = resolved.attribute.multiValued ? (Array.isArray(raw) ? raw : []) : present(raw) ? [raw] : [];
  if (resolved.sub) {
    return { definition: resolved.sub, values: items.map((item) => (item as Json | null)?.[resolved.sub!.name]).filter(present) };
  }
  if (resolved.attribute.type === 'complex') {
    // A multi-valued complex attribute compared directly compares its `value` sub-attribute.
    const value = resolved.attribute.multiValued ? resolveSubAttribute(resolved.attribute, 'value') : null;
    if (!value) return { definition: resolved.attribute, values: items };
    return { definition: value, values: items.map((item) => (item as Json | null)?.value).filter(present) };
  }
  return { definition: resolved.attribute, values: items };
}

export function present(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/** Whether `target` matches `filter` (RFC 7644 section 3.4.2.2 semantics, attribute characteristics respected). */
export function matchesFilter(scope: FilterScope, target: Json, filter: Filter): boolean {
  switch (filter.kind) {
    case 'and':
      return matchesFilter(scope, target, filter.left) && matchesFilter(scope, target, filter.right);
    case 'or':
      return matchesFilter(scope, target, filter.left) || matchesFilter(scope, target, filter.right);
    case 'not':
      return !matchesFilter(scope, target, filter.filter);
    case 'present': {
      const operand = operandOf(scope, target, filter.path);
      return operand.values.some(present);
    }
    case 'valuePath': {
      if (scope.kind === 'element') throw invalidFilter('Value paths cannot nest');
      const resolved = resolvePath(scope.type, filter.path);
      if (!resolved || resolved.sub || resolved.attribute.type !== 'complex') throw invalidFilter(`'${filter.path}' is not a complex attribute`);
      const holder = (resolved.container ? target[resolved.container] : target) as Json | undefined;
      const raw = holder?.[resolved.attribute.name];
      const elements = Array.isArray(raw) ? raw : present(raw) ? [raw] : [];
      return elements.some((element) => matchesFilter({ kind: 'element', parent: resolved.attribute }, element as Json, filter.filter));
    }
    case 'compare': {
      const operand = operandOf(scope, target, filter.path);
      checkOperator(operand.definition, filter.op, filter.value, filter.path);
      if (filter.op === 'ne') return !operand.values.some((value) => compare(operand.definition, 'eq', value, filter.value));
      if (filter.value === null) return filter.op === 'eq' ? operand.values.length === 0 : false;
      return operand.values.some((value) => compare(operand.definition, filter.op, value, filter.value));
    }
  }
}

/** Refuses comparisons that make no sense for the attribute's type (RFC 7644: 400 invalidFilter). */
export function checkOperator(definition: AttributeDefinition, op: CompareOperator, value: CompareValue, path: string): void {
  const ordering = op === 'gt' || op === 'ge' || op === 'lt' || op === 'le';
  const substring = op === 'co' || op === 'sw' || op === 'ew';
  if (definition.type === 'complex') throw invalidFilter(`'${path}' is complex; compare one of its sub-attributes`);
  if (definition.type === 'boolean' && (ordering || substring)) throw invalidFilter(`'${op}' does not apply to boolean '${path}'`);
  if ((definition.type === 'integer' || definition.type === 'decimal') && substring) throw invalidFilter(`'${op}' does not apply to number '${path}'`);
  if (definition.type === 'dateTime' && substring) throw invalidFilter(`'${op}' does not apply to dateTime '${path}'`);
  if ((ordering || substring) && value === null) throw invalidFilter(`'${op}' needs a value`);
  if (value === null) return;
  // A value of the wrong type is a mistake in the filter, not a non-match (the database agrees).
  if (definition.type === 'boolean' && typeof value !== 'boolean' && !(typeof value === 'string' && /^(true|false)$/i.test(value))) {
    throw invalidFilter(`'${path}' needs a boolean value`);
  }
  if ((definition.type === 'integer' || definition.type === 'decimal') && typeof value !== 'number') throw invalidFilter(`'${path}' needs a number`);
  if (definition.type === 'dateTime' && (typeof value !== 'string' || Number.isNaN(Date.parse(value)))) {
    throw invalidFilter(`'${path}' needs a dateTime value`);
  }
  if ((definition.type === 'string' || definition.type === 'reference') && typeof value !== 'string') throw invalidFilter(`'${path}' needs a string value`);
}

function compare(definition: AttributeDefinition, op: CompareOperator, actual: unknown, expected: CompareValue): boolean {
  if (definition.type === 'boolean') {
    const wanted = typeof expected === 'string' ? expected.toLowerCase() === 'true' : expected;
    return actual === wanted;
  }
  if (definition.type === 'integer' || definition.type === 'decimal') {
    if (typeof actual !== 'number' || typeof expected !== 'number') return false;
    return ordered(op, actual - expected);
  }
  if (definition.type === 'dateTime') {
    if (typeof actual !== 'string' || typeof expected !== 'string') return false;
    return ordered(op, Date.parse(actual) - Date.parse(expected));
  }
  if (typeof actual !== 'string' || typeof expected !== 'string') return false;
  const [a, b] = definition.caseExact ? [actual, expected] : [actual.toLowerCase(), expected.toLowerCase()];
  if (op === 'co') return a.includes(b);
  if (op === 'sw') return a.startsWith(b);
  if (op === 'ew') return a.endsWith(b);
  return ordered(op, a < b ? -1 : a > b ? 1 : 0);
}

function ordered(op: CompareOperator, difference: number): boolean {
  if (op === 'eq') return difference === 0;
  if (op === 'gt') return difference > 0;
  if (op === 'ge') return difference >= 0;
  if (op === 'lt') return difference < 0;
  if (op === 'le') return difference <= 0;
  return false;
}
