import type { z } from 'zod';
import { ValidationError } from '@malet/errors';

/**
 * Parses a request part with a zod schema. The error lists offending paths, never values, so a
 * password or token typed into the wrong field is not echoed back.
 */
export function validate<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const fields = [...new Set(result.error.issues.map((issue) => issue.path.join('.') || '(body)'))];
  throw new ValidationError(`Invalid request: ${fields.join(', ')}`, fields);
}
