import fc from 'fast-check';

/**
 * fast-check generators for auth's REST operations, read from `services/auth/openapi.json`:
 * inputs shaped by each operation's schemas (with our token shapes and known accounts mixed in,
 * so requests get past the first checks), the same inputs damaged, and bodies that are not what
 * the operation takes at all.
 */

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  const?: unknown;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: JsonSchema;
  maxItems?: number;
}

interface OpenApiParameter {
  name: string;
  in: 'query' | 'path' | 'header' | 'cookie';
  required?: boolean;
  schema?: JsonSchema;
}

interface OpenApiOperation {
  parameters?: OpenApiParameter[];
  responses?: Record<string, { description?: string }>;
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}

export interface Operation {
  method: string;
  /** As documented, `{id}` placeholders included. */
  path: string;
  body: JsonSchema | undefined;
  query: OpenApiParameter[];
  pathParams: OpenApiParameter[];
  /** Whether the document says the operation answers with HTML pages (emailed links' pages). */
  answersPages: boolean;
}

/** Every operation of the document. */
export function operationsOf(document: { paths: Record<string, Record<string, OpenApiOperation>> }): Operation[] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path,
      body: operation.requestBody?.content?.['application/json']?.schema,
      query: (operation.parameters ?? []).filter((p) => p.in === 'query'),
      pathParams: (operation.parameters ?? []).filter((p) => p.in === 'path'),
      answersPages: Object.values(operation.responses ?? {}).some((response) => response.description?.startsWith('HTML page') ?? false),
    })),
  );
}

/** Accounts the test seeds, so generated sign-ins sometimes name a real one. */
export interface KnownValues {
  emails: string[];
  passwords: string[];
}

const base64url43 = fc.stringMatching(/^[A-Za-z0-9_-]{43}$/);
/** A value of our token shape (`<prefix>_` and 43 base64url characters): valid-looking, never live. */
const shapedToken = (...prefixes: string[]) => fc.tuple(fc.constantFrom(...prefixes), base64url43).map(([prefix, rest]) => `${prefix}_${rest}`);

/** Fields whose values are our tokens: generated in their shape as often as not. */
const TOKEN_FIELDS: Record<string, string[]> = {
  token: ['vfy', 'rst', 'eml', 'undo', 'ml', 'sess', 'ref'],
  mfa_token: ['mfa'],
  refresh_token: ['ref'],
  session_token: ['sess'],
};

/** Text that tends to break things: control characters, long runs, look-alikes, markup. */
const awkwardText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', '%00', '../../etc/passwd', '<script>alert(1)</script>', 'null', '[]', '{}', 'ｕｓｅｒ@example.com', 'a'.repeat(5000)),
);

/** Values of `schema`, biased towards ones that pass validation. */
export function fromSchema(schema: JsonSchema, known: KnownValues, name = ''): fc.Arbitrary<unknown> {
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((alternative) => fromSchema(alternative, known, name)));
  if ('const' in schema) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      return stringFor(schema, known, name);
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e9, max: schema.maximum ?? 1e9, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(schema.items ? fromSchema(schema.items, known) : fc.jsonValue(), { maxLength: Math.min(schema.maxItems ?? 5, 5) });
    case 'object': {
      const properties = schema.properties ?? {};
      const arbitraries = Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, fromSchema(value, known, key)]));
      return fc.record(arbitraries, { requiredKeys: (schema.required ?? []).filter((key) => key in properties) });
    }
    default:
      return fc.jsonValue();
  }
}

function stringFor(schema: JsonSchema, known: KnownValues, name: string): fc.Arbitrary<string> {
  const fits = (value: string) => value.length >= (schema.minLength ?? 0) && value.length <= (schema.maxLength ?? Infinity);
  const prefixes = TOKEN_FIELDS[name];
  if (prefixes) return fc.oneof(shapedToken(...prefixes), fc.string({ minLength: schema.minLength ?? 0, maxLength: 64 }).filter(fits));
  if (schema.format === 'email' || /email/.test(name)) return fc.oneof(fc.constantFrom(...known.emails), fc.emailAddress().filter(fits));
  if (/password/.test(name)) return fc.oneof(fc.constantFrom(...known.passwords), fc.string({ minLength: 1, maxLength: 80 }));
  if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern)).filter(fits);
  if (schema.format === 'uri') return fc.webUrl();
  if (schema.format === 'uuid') return fc.uuid();
  return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 64, 64) });
}

/** A valid-looking value broken one way: a field dropped, retyped or added, or the whole thing replaced. */
export function damaged(value: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.tuple(value, fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 })).map(([original, key, replacement]) => {
      if (typeof original !== 'object' || original === null || Array.isArray(original)) return replacement;
      const keys = Object.keys(original);
      const target = keys.length > 0 ? keys[key.length % keys.length]! : key;
      return key.length % 3 === 0 ? Object.fromEntries(Object.entries(original).filter(([k]) => k !== target)) : { ...original, [key.length % 3 === 1 ? target : key]: replacement };
    }),
    fc.jsonValue({ maxDepth: 3 }),
    awkwardText,
  );
}

/** A request body as sent on the wire: JSON of a value, or raw text under some content type. */
export interface WireBody {
  contentType: string | undefined;
  text: string | undefined;
}

/** An object as a browser's form would post it (nested values as their JSON text). */
const formEncoded = (value: object) =>
  new URLSearchParams(Object.entries(value).map(([key, field]): [string, string] => [key, typeof field === 'string' ? field : String(JSON.stringify(field))])).toString();

export function wireBody(value: fc.Arbitrary<unknown>): fc.Arbitrary<WireBody> {
  return fc.oneof(
    { weight: 6, arbitrary: value.map((v) => ({ contentType: 'application/json', text: JSON.stringify(v) ?? 'null' })) },
    {
      weight: 1,
      arbitrary: value.map((v) => ({
        contentType: 'application/x-www-form-urlencoded',
        text: typeof v === 'object' && v !== null ? formEncoded(v) : String(v),
      })),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        contentType: fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', 'application/json; charset=utf-16', 'multipart/form-data', undefined),
        text: fc.oneof(awkwardText, fc.constantFrom('{"email":', '{"email":"a@b.c",}', '[1,2', '\u0000{}', 'email=%ZZ&password=')),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ contentType: undefined, text: undefined }) },
  );
}

/** Query strings for an operation's parameters: their values, damaged, repeated or missing. */
export function queryFor(parameters: OpenApiParameter[], known: KnownValues): fc.Arbitrary<string> {
  if (parameters.length === 0) return fc.oneof(fc.constant(''), fc.string({ maxLength: 30 }).map((s) => `?${encodeURIComponent(s)}=1`));
  const values = fc.record(Object.fromEntries(parameters.map((p) => [p.name, fc.oneof(fromSchema(p.schema ?? {}, known, p.name), awkwardText)])), { requiredKeys: [] });
  return fc.tuple(values, fc.boolean()).map(([record, repeat]) => {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(record)) {
      search.append(key, typeof value === 'string' ? value : JSON.stringify(value));
      if (repeat) search.append(key, 'again');
    }
    const text = search.toString();
    return text ? `?${text}` : '';
  });
}

/** The operation's path with each `{param}` filled by a UUID, a token or awkward text. */
export function pathFor(operation: Operation): fc.Arbitrary<string> {
  if (operation.pathParams.length === 0) return fc.constant(operation.path);
  return fc.array(fc.oneof(fc.uuid(), shapedToken('sess'), awkwardText), { minLength: operation.pathParams.length, maxLength: operation.pathParams.length }).map((values) => {
    let path = operation.path;
    operation.pathParams.forEach((parameter, index) => {
      path = path.replace(`{${parameter.name}}`, encodeURIComponent(values[index]!) || '%20');
    });
    return path;
  });
}
