import type { Response } from 'express';
import { html, jsonDataBlock, type Markup } from './markup';

/**
 * Every hosted page's policy: scripts, styles and fetches from auth's own origin only (the
 * gateway's, when served through it), no inline script or style, images also as data: URLs (the
 * TOTP QR code), forms posting nowhere else, and no framing.
 */
export const HOSTED_PAGE_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface PageSpec {
  /** The document's language (the text file's). */
  lang: string;
  title: string;
  /** The page's own script under /auth/ui/assets/ (an ES module). */
  script: string;
  main: Markup;
  /** What the script reads: the page's client-side text and its state. */
  data: Record<string, unknown>;
}

/**
 * Writes a hosted page: one small HTML document, one stylesheet, one module script, both from
 * /auth/ui/assets. Two live regions are in every page: `#status` (polite) for progress and
 * `#error` (role=alert) for failures, which the scripts fill so screen readers announce them.
 */
export function sendHostedPage(res: Response, page: PageSpec, status = 200): void {
  res.status(status);
  res.setHeader('Content-Security-Policy', HOSTED_PAGE_POLICY);
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.type('html').send(
    html`<!doctype html>
<html lang="${page.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title}</title>
<link rel="stylesheet" href="/auth/ui/assets/pages.css">
<script type="module" src="/auth/ui/assets/${page.script}"></script>
</head>
<body>
<main>
${page.main}
</main>
${jsonDataBlock('page-data', page.data)}
</body>
</html>
`.value,
  );
}

/** The two live regions, placed under each page's heading. */
export const liveRegions = html`<p id="status" class="status" role="status" aria-live="polite"></p>
<p id="error" class="error" role="alert"></p>`;
