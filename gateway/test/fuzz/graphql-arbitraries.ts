import fc from 'fast-check';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';

/**
 * A GraphQL literal for a value of `type` (strings through JSON, whose escapes GraphQL shares):
 * an explicit null now and then where the type allows one, never where it does not.
 */
function literalOf(type: GraphQLInputType, depth: number): fc.Arbitrary<string> {
  if (isNonNullType(type)) return nonNullLiteralOf(type.ofType, depth);
  return fc.oneof({ weight: 9, arbitrary: nonNullLiteralOf(type, depth) }, { weight: 1, arbitrary: fc.constant('null') });
}

function nonNullLiteralOf(type: GraphQLInputType, depth: number): fc.Arbitrary<string> {
  if (isListType(type)) return fc.array(literalOf(type.ofType, depth + 1), { maxLength: depth > 2 ? 0 : 3 }).map((items) => `[${items.join(', ')}]`);
  if (isEnumType(type)) return fc.constantFrom(...type.getValues().map((value) => value.name));
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields());
    if (depth > 2) return fc.constant('null');
    return fc.tuple(...fields.map((field) => literalOf(field.type, depth + 1).map((value) => `${field.name}: ${value}`))).map((pairs) => `{ ${pairs.join(', ')} }`);
  }
  switch (isScalarType(type) ? type.name : '') {
    case 'Int':
      return fc.integer().map(String);
    case 'Float':
      return fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => (Number.isInteger(value) ? `${value}.0` : String(value)));
    case 'Boolean':
      return fc.boolean().map(String);
    default:
      // String, ID and custom scalars: sometimes well-formed, often hostile.
      return fc.oneof(fc.uuid(), fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 200 }), fc.constantFrom('', 'user', 'my-coffee-shop', '<script>', "' or 1=1 --")).map((value) => JSON.stringify(value));
  }
}

function argumentsOf(args: readonly GraphQLArgument[]): fc.Arbitrary<string> {
  if (args.length === 0) return fc.constant('');
  // Required arguments always, optional ones sometimes.
  return fc
    .tuple(...args.map((arg) => (isNonNullType(arg.type) ? literalOf(arg.type, 0).map((value) => `${arg.name}: ${value}`) : fc.option(literalOf(arg.type, 0).map((value) => `${arg.name}: ${value}`), { nil: '' }))))
    .map((parts) => {
      const given = parts.filter(Boolean);
      return given.length ? `(${given.join(', ')})` : '';
    });
}

/** A selection set on `type`, `depth` levels at most (leaves only at the bottom). */
function selectionOn(type: GraphQLNamedType, depth: number): fc.Arbitrary<string> {
  if (isUnionType(type)) return fc.constant('{ __typename }');
  if (!isObjectType(type) && !isInterfaceType(type)) return fc.constant('');
  const fields = Object.values(type.getFields()).filter((field) => depth > 0 || isLeafType(getNamedType(field.type)));
  if (fields.length === 0) return fc.constant('{ __typename }');
  return fc
    .subarray(fields, { minLength: 1, maxLength: Math.min(4, fields.length) })
    .chain((chosen) => fc.tuple(...chosen.map((field) => fieldSelection(field, depth))))
    .map((parts) => `{ ${parts.join(' ')} }`);
}

function fieldSelection(field: GraphQLField<unknown, unknown>, depth: number): fc.Arbitrary<string> {
  const named = getNamedType(field.type);
  return fc.tuple(argumentsOf(field.args), isLeafType(named) ? fc.constant('') : selectionOn(named, depth - 1)).map(([args, selection]) => `${field.name}${args} ${selection}`.trim());
}

/** Operations the schema admits (arguments may still be refused by resolvers): queries and mutations. */
export function validOperation(schema: GraphQLSchema): fc.Arbitrary<string> {
  const roots = [schema.getQueryType(), schema.getMutationType()].filter((root) => root !== null && root !== undefined);
  return fc.constantFrom(...roots).chain((root) => selectionOn(root, 3).map((selection) => `${root === schema.getMutationType() ? 'mutation' : 'query'} ${selection}`));
}

/** Documents that are wrong in some way: a valid one damaged, made-up fields, or noise. */
export function invalidDocument(schema: GraphQLSchema): fc.Arbitrary<string> {
  const damaged = fc.tuple(validOperation(schema), fc.nat(), fc.constantFrom('', '}', '{', '(', '$', '...', '@skip', 'nope', '"', '#', '\u0000', '💥')).map(([document, at, insert]) => {
    const position = at % (document.length + 1);
    return `${document.slice(0, position)}${insert}${document.slice(position + 1)}`;
  });
  const madeUp = fc.tuple(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,20}$/), fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,20}$/)).map(([a, b]) => `{ ${a} { ${b} } }`);
  return fc.oneof(damaged, madeUp, fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }));
}

/** Any JSON the variables field could carry. */
export const anyVariables: fc.Arbitrary<unknown> = fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 3 }), fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 })));
