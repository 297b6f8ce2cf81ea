import {
  ERRORS,
  Variable,
  isSubtype,
  isValidLeafValue,
  type CompositeType,
  type NamedType,
  type Operation,
  type Schema,
  type SelectionSet,
  type Type,
} from '@apollo/federation-internals';
import type { GraphQLError } from 'graphql';

/**
 * The client's answer cut from the merged subgraph data, compiled once per operation.
 *
 * Same rules as @apollo/gateway's `computeResponse` (resultShaping.js), which walks the
 * operation's selection objects for every response and asks them again for their directives,
 * response names and types (its largest cost after garbage collection in the federation
 * benchmark's profile). Here that walk happens once: each selection set becomes a list of steps
 * holding what the walk needs, and a response only follows the steps. The rules kept, each as
 * Apollo has them: selections in the client's order, `@skip`/`@include` against the request's
 * variables (defaults included), `__typename` from the object's own type, fragments applied by
 * the object's `__typename` (or the field's type when it has none), repeated fields merged,
 * leaves checked against their type, and a null in a non-null position bubbling up to the
 * nearest nullable parent with one "Cannot return null" error.
 *
 * Operations that select schema introspection are not compiled (see `compileResponseShape`):
 * the stock executor answers them.
 */

interface DirectiveCondition {
  /** `@skip` skips when true, `@include` when false. */
  skipWhen: boolean;
  /** A literal, or the name of the variable holding it. */
  value: boolean | { variable: string };
}

interface FieldStep {
  kind: 'field';
  responseName: string;
  conditions: DirectiveCondition[] | null;
  isTypename: boolean;
  type: Type;
  children: Step[] | null;
}

interface FragmentStep {
  kind: 'fragment';
  conditions: DirectiveCondition[] | null;
  typeCondition: CompositeType | undefined;
  /** isSubtype(typeCondition, type) by type name, filled as types are met. */
  applies: Map<string, boolean>;
  children: Step[];
}

type Step = FieldStep | FragmentStep;

/** The part of a selection's field or fragment element that carries its directives. */
interface DirectedElement {
  appliedDirectivesOf(definition: unknown): readonly { arguments(): Record<string, unknown> }[];
}

export interface ResponseShape {
  shape(input: Record<string, unknown> | null | undefined, variables: Record<string, unknown> | undefined): { data: unknown; errors: GraphQLError[] };
}

const TYPENAME = '__typename';

/**
 * Null when the operation selects `__schema` or `__type`, or names a response after a property
 * every object inherits (`constructor`, `__proto__`, ...): those are answered by the stock
 * executor. Everything else is built in plain objects, which V8 reads, writes and serialises
 * several times faster than the prototype-less ones Apollo uses (a benchmark of building and
 * serialising answer-shaped objects: 2-5x).
 */
export function compileResponseShape(operation: Operation): ResponseShape | null {
  const schema = operation.schema();
  const skipDirective = schema.skipDirective();
  const includeDirective = schema.includeDirective();
  let introspection = false;
  let inheritedName = false;

  const conditionsOf = (element: DirectedElement) => {
    const conditions: DirectiveCondition[] = [];
    for (const [definition, skipWhen] of [
      [skipDirective, true],
      [includeDirective, false],
    ] as const) {
      const directive = element.appliedDirectivesOf(definition)[0];
      if (!directive) continue;
      const value = directive.arguments().if;
      conditions.push({ skipWhen, value: value instanceof Variable ? { variable: value.name } : Boolean(value) });
    }
    return conditions.length > 0 ? conditions : null;
  };

  const compile = (selectionSet: SelectionSet): Step[] =>
    selectionSet.selections().map((selection): Step => {
      if (selection.kind === 'FieldSelection') {
        const field = selection.element;
        if (field.definition.isSchemaIntrospectionField()) introspection = true;
        if (field.responseName() in Object.prototype) inheritedName = true;
        return {
          kind: 'field',
          responseName: field.responseName(),
          conditions: conditionsOf(field as unknown as DirectedElement),
          isTypename: field.name === TYPENAME,
          type: field.definition.type!,
          children: selection.selectionSet ? compile(selection.selectionSet) : null,
        };
      }
      const fragment = selection.element;
      return {
        kind: 'fragment',
        conditions: conditionsOf(fragment as unknown as DirectedElement),
        typeCondition: fragment.typeCondition,
        applies: new Map(),
        children: compile(selection.selectionSet),
      };
    });

  const root = compile(operation.selectionSet);
  if (introspection || inheritedName) return null;
  const rootType = schema.schemaDefinition.rootType(operation.rootKind)!;
  const defaults = operation.collectDefaultedVariableValues();
  return {
    shape(input, variables) {
      if (!input) return { data: input, errors: [] };
      const run: Run = { schema, variables: { __proto__: null, ...defaults, ...variables }, errors: [] };
      const data: Record<string, unknown> = {};
      const result = applySteps(run, root, input, data, [], rootType);
      return { data: result === BUBBLE ? null : data, errors: run.errors };
    },
  };
}

interface Run {
  schema: Schema;
  variables: Record<string, unknown>;
  errors: GraphQLError[];
}

const OK = 0;
const BUBBLE = 1;

function skipped(conditions: DirectiveCondition[] | null, variables: Record<string, unknown>): boolean {
  if (!conditions) return false;
  for (const condition of conditions) {
    let value = condition.value;
    if (typeof value !== 'boolean') {
      const given = variables[value.variable];
      if (typeof given !== 'boolean') throw new Error(`Unexpected value ${String(given)} for variable $${value.variable}`);
      value = given;
    }
    if (value === condition.skipWhen) return true;
  }
  return false;
}

function fragmentApplies(run: Run, step: FragmentStep, typename: string | undefined, parentType: NamedType): boolean {
  const condition = step.typeCondition;
  if (!condition) return true;
  const key = typename ?? `\u0000${parentType.name}`;
  let applies = step.applies.get(key);
  if (applies === undefined) {
    if (typename) {
      const type = run.schema.type(typename);
      applies = !!type && isSubtype(condition, type);
    } else {
      applies = isSubtype(condition, parentType);
    }
    step.applies.set(key, applies);
  }
  return applies;
}

function applySteps(run: Run, steps: Step[], input: Record<string, unknown>, output: Record<string, unknown>, path: (string | number)[], parentType: NamedType): number {
  for (const step of steps) {
    if (skipped(step.conditions, run.variables)) continue;
    if (step.kind === 'field') {
      const { responseName } = step;
      const outputValue = output[responseName];
      let inputValue = Object.hasOwn(input, responseName) ? (input[responseName] ?? null) : null;
      if (step.isTypename) {
        if (outputValue === undefined) {
          if (inputValue === null && responseName !== TYPENAME) inputValue = input[TYPENAME] ?? null;
          const type = typeof inputValue === 'string' ? (run.schema.type(inputValue) ?? parentType) : parentType;
          if (type.kind !== 'ObjectType') return BUBBLE;
          output[responseName] = type.name;
        }
        continue;
      }
      path.push(responseName);
      const { updated, invalid } = updateValue(run, outputValue, step.type, inputValue, step.children, path, parentType);
      output[responseName] = updated;
      path.pop();
      if (invalid) return BUBBLE;
    } else {
      const typename = input[TYPENAME];
      if (typename !== undefined && typename !== null && typeof typename !== 'string') throw new Error(`Got unexpected value for __typename: ${String(typename)}`);
      if (fragmentApplies(run, step, typename || undefined, parentType)) {
        if (applySteps(run, step.children, input, output, path, step.typeCondition ?? parentType) === BUBBLE) return BUBBLE;
      }
    }
  }
  return OK;
}

interface Updated {
  updated: unknown;
  invalid?: boolean;
  hasErrors?: boolean;
}

function describeLast(path: (string | number)[], type: Type, parentType: NamedType) {
  const last = path[path.length - 1];
  return typeof last === 'string' ? `field ${parentType}.${last}` : `array element of type ${type} at index ${last}`;
}

function updateValue(run: Run, outputValue: unknown, type: Type, inputValue: unknown, children: Step[] | null, path: (string | number)[], parentType: NamedType): Updated {
  if (outputValue === null || (outputValue !== undefined && !children)) return { updated: outputValue };
  if (type.kind === 'NonNullType') {
    const { updated, hasErrors } = updateValue(run, outputValue, type.ofType, inputValue, children, path, parentType);
    if (updated === null) {
      if (!hasErrors) run.errors.push(ERRORS.INVALID_GRAPHQL.err(`Cannot return null for non-nullable ${describeLast(path, type.ofType, parentType)}.`, { path: [...path] }));
      return { updated, invalid: true, hasErrors: true };
    }
    return { updated };
  }
  if (inputValue === null) return { updated: null };
  if (type.kind === 'ListType') {
    if (!Array.isArray(inputValue)) throw new Error(`Invalid non-list value ${String(inputValue)} returned by subgraph for list type ${type}`);
    const existing = outputValue as unknown[] | undefined;
    if (existing !== undefined && (!Array.isArray(existing) || existing.length !== inputValue.length)) throw new Error(`Mismatched list value for ${type}`);
    let nullify = false;
    let hasErrors = false;
    const updated = new Array<unknown>(inputValue.length);
    for (let index = 0; index < inputValue.length; index += 1) {
      path.push(index);
      const element = updateValue(run, existing?.[index], type.ofType, inputValue[index], children, path, parentType);
      path.pop();
      nullify ||= !!element.invalid;
      hasErrors ||= !!element.hasErrors;
      updated[index] = element.updated;
    }
    return { updated: nullify ? null : updated, hasErrors };
  }
  if (type.kind === 'ObjectType' || type.kind === 'InterfaceType' || type.kind === 'UnionType') {
    if (!children) throw new Error(`Invalid empty selection set for composite type ${type}`);
    if (typeof inputValue !== 'object') throw new Error(`Invalid non-object value ${String(inputValue)} returned by subgraph for composite type ${type}`);
    const object = inputValue as Record<string, unknown>;
    const typename = object[TYPENAME];
    if (typename !== undefined && typeof typename !== 'string') throw new Error(`Invalid non-string value ${String(typename)} for __typename at ${path.join('.')}`);
    let objectType: NamedType = type;
    if (typename) {
      const named = run.schema.type(typename);
      if (!named || (named.kind !== 'ObjectType' && named.kind !== 'InterfaceType' && named.kind !== 'UnionType')) {
        run.errors.push(ERRORS.INVALID_GRAPHQL.err(`Invalid __typename found for object at ${describeLast(path, type, parentType)}.`, { path: [...path] }));
        return { updated: null, hasErrors: true };
      }
      objectType = named;
    }
    const output = outputValue === undefined ? {} : (outputValue as Record<string, unknown>);
    const bubbled = applySteps(run, children, object, output, path, objectType) === BUBBLE;
    return { updated: bubbled ? null : output, hasErrors: bubbled };
  }
  const valid = isValidLeafValue(run.schema, inputValue, type as Parameters<typeof isValidLeafValue>[2]);
  if (!valid) run.errors.push(ERRORS.INVALID_GRAPHQL.err(`Invalid value found for ${describeLast(path, type, parentType)}.`, { path: [...path] }));
  return { updated: valid ? inputValue : null, hasErrors: !valid };
}
