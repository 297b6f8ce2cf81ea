/**
 * Whether a database error is a unique-key violation (SQLSTATE 23505). Drizzle wraps driver
 * errors, so the code may sit on the error or on its cause.
 */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code ?? (error as { cause?: { code?: unknown } })?.cause?.code;
  return code === '23505';
}
