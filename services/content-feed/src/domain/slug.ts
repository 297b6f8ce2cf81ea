/** Post slugs: lower-case ASCII words joined by single hyphens, at most 100 characters. */
export const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const SLUG_MAX_LENGTH = 100;

export function isSlug(value: string): boolean {
  return value.length <= SLUG_MAX_LENGTH && SLUG_PATTERN.test(value);
}

/**
 * A slug from a title: `Crème brûlée & co.` becomes `creme-brulee-co`. Titles with no Latin
 * letters or digits (emoji, other scripts) fall back to `post`; the caller makes it unique.
 */
export function slugFromTitle(title: string): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, SLUG_MAX_LENGTH - 4)
    .replace(/-+$/, '');
  return slug || 'post';
}

/** Candidates tried in order when the preferred slug is taken: `x`, `x-2`, `x-3`, ... */
export function slugCandidates(base: string, count = 20): string[] {
  return [base, ...Array.from({ length: count - 1 }, (_, i) => `${base}-${i + 2}`)];
}
