import type { Request, Response } from 'express';
import type { z } from 'zod';
import { AppError } from '@malet/errors';
import { validate } from '@malet/http-server';

export const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

/** Where every page's stylesheet is served (core/http/page-assets.ts): pages carry no inline style. */
export const PAGE_STYLESHEET_PATH = '/auth/page.css';

/** One labelled control of a page's form. */
export interface PageField {
  name: string;
  label: string;
  type: 'email' | 'password' | 'text';
  /** The browser's autofill hint (`email`, `new-password`, `current-password`). */
  autocomplete?: string;
  required?: boolean;
  /** A sentence under the label, tied to the control by `aria-describedby`. */
  hint?: string;
  maxLength?: number;
  minLength?: number;
}

/** A form back to auth (same origin): hidden values, labelled fields, one button. */
export interface PageForm {
  action: string;
  /** `post` by default; `get` for a form that only navigates (nothing is changed by it). */
  method?: 'get' | 'post';
  /** The element id (a page script may submit the form by it). */
  id?: string;
  hidden?: Record<string, string>;
  fields?: PageField[];
  submit: string;
}

export interface HtmlPage {
  title: string;
  paragraphs: string[];
  /** Shown as a copyable code block (escaped). */
  code?: string;
  form?: PageForm;
  /** Links under the text (escaped), e.g. to request a new email. */
  links?: { href: string; text: string }[];
  /** Same-origin scripts the page loads (the magic-link page submits its form); none by default. */
  scripts?: string[];
  /** Origins besides auth's own a form may lead to (a redirect after a post counts as the form's target). */
  formTargets?: readonly string[];
}

/**
 * The policy of every page auth serves: nothing inline (no script, no style attribute or
 * element), scripts and the stylesheet only from auth itself, forms only to auth (or the
 * allow-listed targets), never framed.
 */
function pagePolicy(page: HtmlPage): string {
  return [
    "default-src 'none'",
    page.scripts?.length ? "script-src 'self'" : "script-src 'none'",
    "style-src 'self'",
    "img-src 'self'",
    `form-action 'self'${page.formTargets?.length ? ` ${page.formTargets.join(' ')}` : ''}`,
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function renderField(field: PageField): string {
  const id = `field-${field.name}`;
  const attributes = [
    `id="${id}"`,
    `name="${escapeHtml(field.name)}"`,
    `type="${field.type}"`,
    field.autocomplete ? `autocomplete="${escapeHtml(field.autocomplete)}"` : '',
    field.required ? 'required' : '',
    field.maxLength ? `maxlength="${field.maxLength}"` : '',
    field.minLength ? `minlength="${field.minLength}"` : '',
    field.hint ? `aria-describedby="${id}-hint"` : '',
  ].filter(Boolean);
  const hint = field.hint ? `\n<small id="${id}-hint">${escapeHtml(field.hint)}</small>` : '';
  return `<p><label for="${id}">${escapeHtml(field.label)}</label>${hint}\n<input ${attributes.join(' ')}></p>`;
}

function renderForm(form: PageForm): string {
  const hidden = Object.entries(form.hidden ?? {}).map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`);
  return [
    `<form${form.id ? ` id="${escapeHtml(form.id)}"` : ''} method="${form.method ?? 'post'}" action="${escapeHtml(form.action)}">`,
    ...hidden,
    ...(form.fields ?? []).map(renderField),
    `<button type="submit">${escapeHtml(form.submit)}</button>`,
    '</form>',
  ].join('\n');
}

/** A minimal page served by auth under a strict CSP. Every dynamic value is escaped. */
export function sendPage(res: Response, status: number, page: HtmlPage): void {
  res.status(status);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Security-Policy', pagePolicy(page));
  // Tokens travel in these pages' URLs: no other site may see them in a Referer.
  res.setHeader('Referrer-Policy', 'same-origin');
  res.type('html').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<link rel="stylesheet" href="${PAGE_STYLESHEET_PATH}">
</head><body><main><h1>${escapeHtml(page.title)}</h1>
${page.paragraphs.map((text) => `<p>${escapeHtml(text)}</p>`).join('\n')}
${page.code ? `<p><code>${escapeHtml(page.code)}</code></p>` : ''}
${page.form ? renderForm(page.form) : ''}
${(page.links ?? []).map((link) => `<p><a href="${escapeHtml(link.href)}">${escapeHtml(link.text)}</a></p>`).join('\n')}
${(page.scripts ?? []).map((src) => `<script src="${escapeHtml(src)}"></script>`).join('\n')}
</main></body></html>
`);
}

/** Why an emailed link's page has no form. */
export const INVALID_LINK_PAGE: HtmlPage = {
  title: 'This link does not work',
  paragraphs: ['It may have expired, or it was already used: each link works once. Ask for a new email from the app.'],
};

/**
 * The page an emailed link (`?token=`) opens: the form that redeems the token, or why the link
 * does not work. Opening it spends nothing (mail scanners fetch every link in a message); only a
 * token of the issued shape that is still live reaches the form, so nothing else is echoed.
 */
export async function sendEmailedLinkPage(
  req: Request,
  res: Response,
  options: { isLive: (token: string) => Promise<boolean>; page: (token: string) => HtmlPage },
): Promise<void> {
  const token = req.query.token;
  if (typeof token !== 'string' || token.length > 200 || !(await options.isLive(token))) {
    sendPage(res, 400, INVALID_LINK_PAGE);
    return;
  }
  sendPage(res, 200, options.page(token));
}

/** A browser's form post (its answer is a page); anything else is an API call (JSON). */
export function isFormPost(req: Request): boolean {
  return req.is('application/x-www-form-urlencoded') === 'application/x-www-form-urlencoded';
}

/** A form's empty optional fields arrive as `""`; they mean "not given". */
function withoutEmptyFields(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== ''));
}

/**
 * One route for API clients and for the form of a page: a JSON request is validated and answered
 * as JSON (errors in the common shape); a form post is answered with a page, its refusal (any
 * 4xx) with the page `refused` describes. Routes using it declare `validatesOwnInput`.
 */
export async function answerJsonOrPage<S extends z.ZodType, T>(
  req: Request,
  res: Response,
  options: { schema: S; run: (input: z.infer<S>) => Promise<T>; json: (result: T) => unknown; done: (result: T) => HtmlPage; refused: (error: AppError) => HtmlPage },
): Promise<unknown> {
  if (!isFormPost(req)) return options.json(await options.run(validate(options.schema, req.body)));
  let result: T;
  try {
    result = await options.run(validate(options.schema, withoutEmptyFields(req.body)));
  } catch (error) {
    if (!(error instanceof AppError) || error.status >= 500) throw error;
    sendPage(res, error.status, options.refused(error));
    return undefined;
  }
  sendPage(res, 200, options.done(result));
  return undefined;
}
