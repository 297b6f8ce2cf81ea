import { invalidFilter, invalidPath } from './scim-error';

/** RFC 7644 section 3.4.2.2 comparison operators. */
export type CompareOperator = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type CompareValue = string | number | boolean | null;

export type Filter =
  | { kind: 'compare'; path: string; op: CompareOperator; value: CompareValue }
  | { kind: 'present'; path: string }
  | { kind: 'and' | 'or'; left: Filter; right: Filter }
  | { kind: 'not'; filter: Filter }
  /** `emails[type eq "work"]`: some element of a multi-valued attribute matches `filter` (paths inside are relative). */
  | { kind: 'valuePath'; path: string; filter: Filter };

const COMPARE_OPERATORS = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);
const MAX_FILTER_LENGTH = 4_096;
const MAX_DEPTH = 32;

type Token =
  | { type: 'word'; text: string; at: number }
  | { type: 'string'; value: string; at: number }
  | { type: 'number'; value: number; at: number }
  | { type: '(' | ')' | '[' | ']'; at: number }
  | { type: 'end'; at: number };

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const char = input[i]!;
    if (char === ' ' || char === '\t' || char === '\n' || char === '\r') {
      i += 1;
    } else if (char === '(' || char === ')' || char === '[' || char === ']') {
      tokens.push({ type: char, at: i });
      i += 1;
    } else if (char === '"') {
      const start = i;
      i += 1;
      while (i < input.length && input[i] !== '"') i += input[i] === '\\' ? 2 : 1;
      if (i >= input.length) throw invalidFilter(`Unterminated string at position ${start + 1}`);
      i += 1;
      try {
        tokens.push({ type: 'string', value: JSON.parse(input.slice(start, i)) as string, at: start });
      } catch {
        throw invalidFilter(`Invalid string escape at position ${start + 1}`);
      }
    } else if (/[-0-9]/.test(char) && /^-?[0-9]/.test(input.slice(i, i + 2))) {
      const match = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?/.exec(input.slice(i))!;
      tokens.push({ type: 'number', value: Number(match[0]), at: i });
      i += match[0].length;
    } else if (/[A-Za-z_$]/.test(char) || (char === '.' && tokens.at(-1)?.type === ']')) {
      // A word right after `]` may start with a dot: the sub-attribute of `attr[filter].sub`.
      const match = /^\.?[A-Za-z_$][A-Za-z0-9_$:.-]*/.exec(input.slice(i));
      if (!match) throw invalidFilter(`Unexpected character at position ${i + 1}`);
      tokens.push({ type: 'word', text: match[0], at: i });
      i += match[0].length;
    } else {
      throw invalidFilter(`Unexpected character at position ${i + 1}`);
    }
  }
  tokens.push({ type: 'end', at: input.length });
  return tokens;
}

/**
 * Parses a SCIM filter into a tree. Precedence is `not` over `and` over `or`; parentheses group;
 * operators and keywords ignore case. Also accepts `attr[filter].sub op value`, the form Entra ID
 * sends, as "some element matches both".
 */
export function parseFilter(input: string): Filter {
  if (input.length > MAX_FILTER_LENGTH) throw invalidFilter('Filter is too long');
  const tokens = tokenize(input);
  let position = 0;
  let depth = 0;
  const peek = () => tokens[position]!;
  const next = () => tokens[position++]!;
  const keyword = (token: Token, word: string) => token.type === 'word' && token.text.toLowerCase() === word;
  const describe = (token: Token) => (token.type === 'end' ? 'end of filter' : `position ${token.at + 1}`);
  const expect = (type: Token['type']) => {
    const token = next();
    if (token.type !== type) throw invalidFilter(`Expected '${type}' at ${describe(token)}`);
  };

  function parseOr(): Filter {
    let left = parseAnd();
    while (keyword(peek(), 'or')) {
      next();
      left = { kind: 'or', left, right: parseAnd() };
    }
    return left;
  }

  function parseAnd(): Filter {
    let left = parseUnary();
    while (keyword(peek(), 'and')) {
      next();
      left = { kind: 'and', left, right: parseUnary() };
    }
    return left;
  }

  function parseUnary(): Filter {
    depth += 1;
    if (depth > MAX_DEPTH) throw invalidFilter('Filter is nested too deeply');
    try {
      const token = peek();
      if (keyword(token, 'not') && tokens[position + 1]?.type === '(') {
        next();
        next();
        const inner = parseOr();
        expect(')');
        return { kind: 'not', filter: inner };
      }
      if (token.type === '(') {
        next();
        const inner = parseOr();
        expect(')');
        return inner;
      }
      return parseAttributeExpression();
    } finally {
      depth -= 1;
    }
  }

  function parseAttributeExpression(): Filter {
    const token = next();
    if (token.type !== 'word') throw invalidFilter(`Expected an attribute at ${describe(token)}`);
    const path = token.text;
    if (peek().type === '[') {
      next();
      const inner = parseOr();
      expect(']');
      const after = peek();
      // `emails[type eq "work"].value eq "x"`: the word after `]` starts with the sub-attribute.
      if (after.type === 'word' && after.text.startsWith('.')) {
        next();
        const sub = after.text.slice(1);
        const condition = parseComparison(sub);
        return { kind: 'valuePath', path, filter: { kind: 'and', left: inner, right: condition } };
      }
      return { kind: 'valuePath', path, filter: inner };
    }
    return parseComparison(path);
  }

  function parseComparison(path: string): Filter {
    const operator = next();
    if (operator.type !== 'word') throw invalidFilter(`Expected an operator after ${path}`);
    const op = operator.text.toLowerCase();
    if (op === 'pr') return { kind: 'present', path };
    if (!COMPARE_OPERATORS.has(op)) throw invalidFilter(`Unknown operator '${operator.text}'`);
    const value = next();
    let compareValue: CompareValue;
    if (value.type === 'string' || value.type === 'number') compareValue = value.value;
    else if (keyword(value, 'true')) compareValue = true;
    else if (keyword(value, 'false')) compareValue = false;
    else if (keyword(value, 'null')) compareValue = null;
    else throw invalidFilter(`Expected a value after '${operator.text}' at ${describe(value)}`);
    return { kind: 'compare', path, op: op as CompareOperator, value: compareValue };
  }

  const filter = parseOr();
  if (peek().type !== 'end') throw invalidFilter(`Unexpected input at ${describe(peek())}`);
  return filter;
}

/** A PATCH `path` (RFC 7644 section 3.5.2): `attr`, `attr.sub`, `attr[filter]` or `attr[filter].sub`. */
export interface PatchPath {
  attribute: string;
  filter: Filter | null;
  sub: string | null;
}

export function parsePatchPath(input: string): PatchPath {
  const path = input.trim();
  if (!path) throw invalidPath('Empty path');
  const open = path.indexOf('[');
  if (open === -1) return { attribute: path, filter: null, sub: null };
  const close = path.lastIndexOf(']');
  if (close < open) throw invalidPath(`Unbalanced brackets in path '${path}'`);
  const after = path.slice(close + 1);
  if (after && !/^\.[A-Za-z$][A-Za-z0-9_$-]*$/.test(after)) throw invalidPath(`Unexpected text after ']' in path '${path}'`);
  let filter: Filter;
  try {
    filter = parseFilter(path.slice(open + 1, close));
  } catch (error) {
    throw invalidPath(`Invalid filter in path: ${(error as Error).message}`);
  }
  return { attribute: path.slice(0, open), filter, sub: after ? after.slice(1) : null };
}
