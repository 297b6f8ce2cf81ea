/**
 * A button on a hosted sign-in page that starts a sign-in somewhere else (a social provider).
 * Modules list theirs in `AuthModule.signInProviders`; a page renders one link per entry.
 */
export interface SignInProvider {
  /** Stable and unique (`google`), used in element ids and tests. */
  id: string;
  /** The button's text, e.g. `Continue with Google`. */
  label: string;
  /** Where the button goes: a path on auth (`/auth/oauth/google`) or an absolute URL. */
  href: string;
}
