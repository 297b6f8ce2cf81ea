/**
 * Whether `returnTo` is an absolute http(s) URL on an allow-listed origin (RETURN_TO_ALLOWLIST):
 * where a browser sign-in (magic link, social sign-in, the hosted pages) may send the browser
 * afterwards. Anything else (relative paths, protocol-relative `//evil`, `javascript:`, userinfo
 * tricks) is refused: the comparison is on the origin the browser would actually navigate to.
 */
export function isAllowedReturnTo(returnTo: string, allowlist: readonly string[]): boolean {
  if (!/^https?:\/\//i.test(returnTo)) return false;
  let url: URL;
  try {
    url = new URL(returnTo);
  } catch {
    return false;
  }
  if (url.username || url.password) return false;
  return allowlist.includes(url.origin);
}
