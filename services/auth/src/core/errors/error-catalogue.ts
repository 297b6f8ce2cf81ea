import { AppError } from '@malet/errors';

/**
 * The auth service's error catalogue: every code it can answer, declared once with its status
 * and default message (STYLE: error codes are declared once per service).
 *
 * Each module declares its codes in its own `<feature>.errors.ts` with `defineErrors`, and
 * throws only through the factories that returns, so a thrown code is always a declared one
 * (`test/error-catalogue.test.ts` fails on an `AppError` built anywhere else). Declaring a code
 * twice is refused when the module loads, whatever the statuses, so one code can never mean two
 * statuses; a code shared by several features belongs in core (`core.errors.ts`).
 */

/** A message, or a function of the factory's arguments that builds it. */
type MessageSpec = string | ((...args: never[]) => string);

export interface ErrorSpec {
  code: `${string}:${string}`;
  status: number;
  message: MessageSpec;
  /** Request fields the error is about (validation-like failures), or a function of the factory's arguments. */
  fields?: string[] | ((...args: never[]) => string[]);
  /** Response headers built from the factory's arguments (`Retry-After` of a 429). */
  headers?: (...args: never[]) => Record<string, string>;
  /** RFC 6749 `error` for routes that answer in the OAuth 2.0 shape; derived from the status when absent. */
  oauth?: string;
}

export interface DeclaredError {
  code: string;
  status: number;
  /** The message with no arguments filled in, for documentation. */
  description: string;
  owner: string;
  oauth?: string | undefined;
}

const declared = new Map<string, DeclaredError>();

/** A factory takes the arguments of the message function, else those of the headers function. */
type FactoryOf<S extends ErrorSpec> = S['message'] extends (...args: infer A) => string
  ? (...args: A) => AppError
  : S['headers'] extends (...args: infer A) => Record<string, string>
    ? (...args: A) => AppError
    : () => AppError;

export type ErrorFactories<T extends Record<string, ErrorSpec>> = { [K in keyof T]: FactoryOf<T[K]> } & {
  /** The declarations, for route documentation (`errors: [mfaErrors.codes.invalidCode]`). */
  readonly codes: { [K in keyof T]: DeclaredError };
};

/** Declares `owner`'s error codes and returns one factory per code. */
export function defineErrors<const T extends Record<string, ErrorSpec>>(owner: string, specs: T): ErrorFactories<T> {
  const factories: Record<string, unknown> = {};
  const codes: Record<string, DeclaredError> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const existing = declared.get(spec.code);
    if (existing) {
      throw new Error(`error code ${spec.code} is declared twice (${existing.owner}: ${existing.status}, ${owner}: ${spec.status}); declare shared codes once in core`);
    }
    const description = typeof spec.message === 'string' ? spec.message : describe(spec.message);
    const entry: DeclaredError = { code: spec.code, status: spec.status, description, owner, oauth: spec.oauth };
    declared.set(spec.code, entry);
    codes[name] = entry;
    factories[name] = (...args: never[]) =>
      new AppError(spec.status, spec.code, typeof spec.message === 'string' ? spec.message : spec.message(...args), {
        ...(spec.fields ? { fields: typeof spec.fields === 'function' ? spec.fields(...args) : spec.fields } : {}),
        ...(spec.headers ? { headers: spec.headers(...args) } : {}),
      });
  }
  factories.codes = codes;
  return factories as ErrorFactories<T>;
}

/** A dynamic message's shape with its placeholders left visible: `Invalid code; … attempt(s) left`. */
function describe(message: (...args: never[]) => string): string {
  const placeholders = Array.from({ length: message.length }, () => '…' as never);
  return message(...placeholders);
}

/** Every declared code (for tests and documentation). */
export function declaredErrors(): ReadonlyMap<string, DeclaredError> {
  return declared;
}

export function findDeclaredError(code: string): DeclaredError | undefined {
  return declared.get(code);
}
