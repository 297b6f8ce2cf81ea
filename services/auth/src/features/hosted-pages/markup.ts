import { escapeHtml } from '../../core/http/html-page';

/** Markup that is already safe (built by `html`), as opposed to text that must be escaped. */
export class Markup {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Interpolated = string | number | Markup | null | undefined | false | readonly Interpolated[];

const render = (value: Interpolated): string => {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Markup) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
};

/** A template of trusted markup; every interpolated value is escaped unless it is itself `html`. */
export function html(strings: TemplateStringsArray, ...values: Interpolated[]): Markup {
  return new Markup(strings.reduce((out, part, index) => out + part + (index < values.length ? render(values[index]!) : ''), ''));
}

/**
 * JSON for a `<script type="application/json">` data block: `<` is escaped so that no value can
 * close the element, whatever it contains. Data blocks are never executed, so the page's CSP
 * (no inline script) holds.
 */
export function jsonDataBlock(id: string, value: unknown): Markup {
  const json = JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return new Markup(`<script type="application/json" id="${escapeHtml(id)}">${json}</script>`);
}
