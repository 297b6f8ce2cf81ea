import type { Response } from 'express';

export const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

export interface HtmlPage {
  title: string;
  paragraphs: string[];
  /** Shown as a copyable code block (escaped). */
  code?: string;
  /** Trusted markup appended to the body (forms); callers escape every value in it. */
  extra?: string;
}

/** A minimal page served by auth. Every dynamic value is escaped. */
export function sendPage(res: Response, status: number, page: HtmlPage): void {
  res.status(status);
  res.setHeader('Cache-Control', 'no-store');
  res.type('html').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}code{word-break:break-all;background:#f3f3f3;padding:.2rem .4rem}</style>
</head><body><h1>${escapeHtml(page.title)}</h1>
${page.paragraphs.map((text) => `<p>${escapeHtml(text)}</p>`).join('\n')}
${page.code ? `<p><code>${escapeHtml(page.code)}</code></p>` : ''}
${page.extra ?? ''}
</body></html>
`);
}
