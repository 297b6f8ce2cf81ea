import type { Request } from 'express';

/**
 * RFC 9110 conditional GET. If-None-Match wins over If-Modified-Since when both are sent.
 * Last-Modified has one-second resolution, so a feed that changed within the current second
 * is never answered 304 on the date alone: a second change in that same second would otherwise
 * hide behind an equal date.
 */
export function isNotModified(req: Request, validators: { etag: string; lastModified: Date | null }, now = Date.now()): boolean {
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() === '*') return true;
    // Weak comparison, as the RFC prescribes for If-None-Match.
    const candidates = ifNoneMatch.split(',').map((tag) => tag.trim().replace(/^W\//, ''));
    return candidates.includes(validators.etag);
  }
  const ifModifiedSince = req.headers['if-modified-since'];
  if (ifModifiedSince === undefined || !validators.lastModified) return false;
  const since = Date.parse(ifModifiedSince);
  if (Number.isNaN(since)) return false;
  const modified = Math.floor(validators.lastModified.getTime() / 1000) * 1000;
  if (now - validators.lastModified.getTime() < 1000) return false;
  return modified <= since;
}
