/**
 * A button on the hosted sign-in page that starts a sign-in somewhere else (a social provider).
 * Modules list theirs in `AuthModule.signInProviders`; the page renders one link per entry, in
 * mounting order, carrying the page's allow-listed `return_to` when it has one.
 */
export interface SignInProvider {
  /** Stable and unique (`google`), used in element ids and tests. */
  id: string;
  /** The button's text, e.g. `Continue with Google`. */
  label: string;
  /** Where the button goes: a path on auth (`/auth/oauth/google`) or an absolute URL. */
  href: string;
}
