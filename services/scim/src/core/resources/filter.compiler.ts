import { sql, type SQL } from 'drizzle-orm';
import { resolvePath, resolveSubAttribute, type AttributeDefinition, type ResourceTypeDefinition } from '../attribute.schema';
import { checkOperator } from '../filter.evaluator';
import type { CompareOperator, CompareValue, Filter } from '../filter.parser';
import { invalidFilter } from '../scim-error';
import { scimResources } from './resource.tables';

/** A value in SQL: a jsonb value, or a real column (text stored lower-cased, or a timestamp). */
type Operand = { kind: 'jsonb'; expr: SQL } | { kind: 'column'; expr: SQL; lowered: boolean } | { kind: 'timestamp'; expr: SQL };

type Scope = { kind: 'resource'; type: ResourceTypeDefinition } | { kind: 'element'; parent: AttributeDefinition; element: SQL };

const t = scimResources;

/** Attributes kept in indexed columns, so `userName eq` and `externalId eq` are index look-ups at any size. */
function columnFor(type: ResourceTypeDefinition, path: string): Operand | null {
  if (path === 'id') return { kind: 'column', expr: sql`${t.id}::text`, lowered: false };
  if (path === 'externalId') return { kind: 'column', expr: sql`${t.externalId}`, lowered: false };
  if (path === 'meta.created') return { kind: 'timestamp', expr: sql`${t.createdAt}` };
  if (path === 'meta.lastModified') return { kind: 'timestamp', expr: sql`${t.updatedAt}` };
  if (path === 'meta.resourceType') return { kind: 'column', expr: sql`${t.resourceType}`, lowered: false };
  if (type.name === 'User' && path === 'userName') return { kind: 'column', expr: sql`${t.userName}`, lowered: true };
  if (type.name === 'Group' && path === 'displayName') return { kind: 'column', expr: sql`${t.displayName}`, lowered: true };
  return null;
}

/**
 * Translates a parsed SCIM filter into a SQL condition over `scim_resources`, with the same
 * semantics as the in-memory evaluator (filter.evaluator.ts): case-insensitive strings unless
 * the attribute is caseExact, any-element matching for multi-valued attributes, `ne` true for
 * absent values. Values always travel as parameters.
 */
export function compileFilter(type: ResourceTypeDefinition, filter: Filter): SQL {
  return compile({ kind: 'resource', type }, filter);
}

function compile(scope: Scope, filter: Filter): SQL {
  switch (filter.kind) {
    case 'and':
      return sql`(${compile(scope, filter.left)} and ${compile(scope, filter.right)})`;
    case 'or':
      return sql`(${compile(scope, filter.left)} or ${compile(scope, filter.right)})`;
    case 'not':
      return sql`(not coalesce(${compile(scope, filter.filter)}, false))`;
    case 'present':
      return withOperand(scope, filter.path, (operand) => presentSql(operand));
    case 'valuePath': {
      if (scope.kind === 'element') throw invalidFilter('Value paths cannot nest');
      const resolved = resolvePath(scope.type, filter.path);
      if (!resolved || resolved.sub || resolved.attribute.type !== 'complex') throw invalidFilter(`'${filter.path}' is not a complex attribute`);
      const base = jsonbOf(resolved.container, resolved.attribute.name);
      return sql`exists (select 1 from jsonb_array_elements(${arrayOf(base)}) as element(v) where ${compile({ kind: 'element', parent: resolved.attribute, element: sql`element.v` }, filter.filter)})`;
    }
    case 'compare': {
      if (filter.op === 'ne') {
        const equal = compile(scope, { ...filter, op: 'eq' });
        return sql`(not coalesce(${equal}, false))`;
      }
      if (filter.value === null) return sql`(not coalesce(${compile(scope, { kind: 'present', path: filter.path })}, false))`;
      return withOperand(scope, filter.path, (operand, definition) => {
        checkOperator(definition, filter.op, filter.value, filter.path);
        return compareSql(operand, definition, filter.op, filter.value);
      });
    }
  }
}

/**
 * Resolves a path and builds the condition on each of its values: directly for single values,
 * as `exists (... jsonb_array_elements ...)` for multi-valued attributes.
 */
function withOperand(scope: Scope, path: string, condition: (operand: Operand, definition: AttributeDefinition) => SQL): SQL {
  if (scope.kind === 'element') {
    const definition = resolveSubAttribute(scope.parent, path);
    if (!definition) throw invalidFilter(`Unknown sub-attribute '${path}' of ${scope.parent.name}`);
    return condition({ kind: 'jsonb', expr: sql`(${scope.element} -> ${key(definition.name)})` }, definition);
  }
  const resolved = resolvePath(scope.type, path);
  if (!resolved) throw invalidFilter(`Unknown attribute '${path}'`);
  const canonical = resolved.container ? null : resolved.sub ? `${resolved.attribute.name}.${resolved.sub.name}` : resolved.attribute.name;
  const column = canonical ? columnFor(scope.type, canonical) : null;
  if (column) return condition(column, resolved.sub ?? resolved.attribute);
  if (resolved.attribute.name === 'meta') throw invalidFilter(`'${path}' cannot be filtered`);

  const base = jsonbOf(resolved.container, resolved.attribute.name);
  if (!resolved.attribute.multiValued) {
    const value = resolved.sub ? sql`(${base} -> ${key(resolved.sub.name)})` : base;
    return condition({ kind: 'jsonb', expr: value }, resolved.sub ?? resolved.attribute);
  }
  const valueSub = resolved.sub ?? (resolved.attribute.type === 'complex' ? resolveSubAttribute(resolved.attribute, 'value') : null);
  const element = valueSub ? sql`(element.v -> ${key(valueSub.name)})` : sql`element.v`;
  const inner = condition({ kind: 'jsonb', expr: element }, valueSub ?? resolved.attribute);
  return sql`exists (select 1 from jsonb_array_elements(${arrayOf(base)}) as element(v) where ${inner})`;
}

function jsonbOf(container: string | null, name: string): SQL {
  return container ? sql`(${t.attributes} -> ${key(container)} -> ${key(name)})` : sql`(${t.attributes} -> ${key(name)})`;
}

/** A jsonb key from our own schema definitions (never from the request), as a SQL literal. */
function key(name: string): SQL {
  return sql.raw(`'${name.replace(/'/g, "''")}'`);
}

function arrayOf(value: SQL): SQL {
  return sql`(case when jsonb_typeof(${value}) = 'array' then ${value} else '[]'::jsonb end)`;
}

function presentSql(operand: Operand): SQL {
  if (operand.kind !== 'jsonb') return sql`(${operand.expr} is not null and ${operand.expr}::text <> '')`;
  const value = operand.expr;
  return sql`(${value} is not null and ${value} not in ('null'::jsonb, '""'::jsonb, '[]'::jsonb, '{}'::jsonb))`;
}

function compareSql(operand: Operand, definition: AttributeDefinition, op: CompareOperator, value: CompareValue): SQL {
  if (operand.kind === 'timestamp' || definition.type === 'dateTime') {
    const left = operand.kind === 'jsonb' ? sql`(${operand.expr} #>> '{}')::timestamptz` : operand.expr;
    return ordering(left, op, sql`${String(value)}::timestamptz`);
  }
  if (definition.type === 'boolean') {
    const wanted = typeof value === 'string' ? value.toLowerCase() === 'true' : value === true;
    return sql`(${operand.expr} = ${wanted ? 'true' : 'false'}::jsonb)`;
  }
  if (definition.type === 'integer' || definition.type === 'decimal') {
    const left = sql`(case when jsonb_typeof(${operand.expr}) = 'number' then (${operand.expr} #>> '{}')::numeric end)`;
    return ordering(left, op, sql`${value}::numeric`);
  }
  const insensitive = !definition.caseExact;
  const raw = operand.kind === 'jsonb' ? sql`(case when jsonb_typeof(${operand.expr}) = 'string' then ${operand.expr} #>> '{}' end)` : operand.expr;
  const left = insensitive && !(operand.kind === 'column' && operand.lowered) ? sql`lower(${raw})` : raw;
  const right = insensitive ? sql`lower(${String(value)}::text)` : sql`${String(value)}::text`;
  if (op === 'co') return sql`(strpos(${left}, ${right}) > 0)`;
  if (op === 'sw') return sql`starts_with(${left}, ${right})`;
  if (op === 'ew') return sql`(right(${left}, char_length(${right})) = ${right})`;
  // Ordering compares bytes (collate "C"), as the in-memory evaluator does. Equality is the same
  // under any deterministic collation, and only without a COLLATE clause can the indexes on
  // userName, externalId and displayName serve it (with one, `eq` scanned every row).
  return ordering(op === 'eq' ? left : sql`(${left} collate "C")`, op, right);
}

function ordering(left: SQL, op: CompareOperator, right: SQL): SQL {
  const operator = { eq: '=', gt: '>', ge: '>=', lt: '<', le: '<=' }[op as 'eq' | 'gt' | 'ge' | 'lt' | 'le'];
  if (!operator) throw invalidFilter(`'${op}' does not apply here`);
  return sql`(${left} ${sql.raw(operator)} ${right})`;
}
