/**
 * Malet handles appear in URLs (`/m/:handle`), so they are lower-case ASCII letters, digits and
 * single hyphens, 3 to 40 characters, starting and ending with a letter or digit. They compare
 * case-insensitively: input is lower-cased before it is checked or looked up.
 */
export const HANDLE_PATTERN = /^[a-z0-9](?:[a-z0-9]|-(?!-)){1,38}[a-z0-9]$/;
export const HANDLE_MAX_LENGTH = 40;

/**
 * Words a handle may not be: paths the platform routes itself, and names that would let a Malet
 * pass for the platform or its staff.
 */
const RESERVED_HANDLES = new Set([
  'about', 'abuse', 'account', 'accounts', 'admin', 'administrator', 'api', 'app', 'apps', 'assets', 'auth',
  'billing', 'blog', 'blogs', 'cdn', 'contact', 'dashboard', 'dev', 'docs', 'download', 'edit', 'email',
  'explore', 'feed', 'feeds', 'graphql', 'help', 'home', 'internal', 'legal', 'login', 'logout', 'mail',
  'malet', 'malets', 'me', 'metrics', 'new', 'news', 'null', 'oauth', 'official', 'owner', 'privacy',
  'register', 'root', 'rss', 'scim', 'search', 'security', 'settings', 'signin', 'signup', 'sitemap',
  'sitemaps', 'static', 'status', 'support', 'system', 'terms', 'undefined', 'user', 'users', 'www',
]);

export type HandleProblem = 'format' | 'reserved';

/** Lower-cases a handle as typed; null when it cannot be a handle at all. */
export function normalizeHandle(input: string): string | null {
  const handle = input.trim().toLowerCase();
  return HANDLE_PATTERN.test(handle) ? handle : null;
}

/** Why a handle may not be registered, or null when it may. */
export function handleProblem(handle: string): HandleProblem | null {
  if (!HANDLE_PATTERN.test(handle)) return 'format';
  if (RESERVED_HANDLES.has(handle)) return 'reserved';
  return null;
}
