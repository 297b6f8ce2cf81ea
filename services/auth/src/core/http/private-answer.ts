import type { Response } from 'express';

/**
 * The headers of an answer that may carry a token or personal data (every route that does not
 * declare its own caching): no cache keeps it, no page frames it, and, being JSON, it loads
 * nothing. HTML pages replace this policy with their own (`sendPage`), as strict about framing.
 * HSTS and nosniff come with every answer (helmet, in `@malet/http-server`).
 */
export function markPrivateAnswer(res: Response): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
  // For browsers that predate frame-ancestors.
  res.setHeader('X-Frame-Options', 'DENY');
}
