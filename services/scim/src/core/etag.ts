import { ScimError } from './scim-error';

/** `meta.version` and the ETag header: a weak tag over the resource's version counter. */
export function etagFor(version: number): string {
  return `W/"${version}"`;
}

function tagsOf(header: string): string[] {
  return header.split(',').map((tag) => tag.trim().replace(/^W\//, '')).filter(Boolean);
}

/** RFC 7232 `If-Match` (weak comparison, as SCIM versions are weak): a stale tag is 412. */
export function assertIfMatch(header: string | undefined, version: number): void {
  if (!header) return;
  const tags = tagsOf(header);
  if (tags.includes('*') || tags.includes(`"${version}"`)) return;
  throw new ScimError(412, undefined, 'The resource changed since that version (If-Match failed)');
}

/** True when `If-None-Match` names the current version: the client's copy is fresh (304). */
export function isNotModified(header: string | undefined, version: number): boolean {
  if (!header) return false;
  const tags = tagsOf(header);
  return tags.includes('*') || tags.includes(`"${version}"`);
}
