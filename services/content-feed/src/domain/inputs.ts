import { z } from 'zod';
import { ValidationError } from '@malet/errors';
import { HANDLE_MAX_LENGTH } from './handle';
import { SLUG_MAX_LENGTH } from './slug';

// C0 and C1 control characters and lone surrogates: never meaningful in a title or a name, and
// most of them cannot appear in XML 1.0 at all, so they are refused rather than stored.
// eslint-disable-next-line no-control-regex -- matching control characters is the point of this pattern
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]|\p{Cs}/u;
// Multi-line text keeps tabs and line breaks.
// eslint-disable-next-line no-control-regex -- as above
const CONTROL_CHARACTERS_EXCEPT_WHITESPACE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]|\p{Cs}/u;

const singleLine = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max)
    .refine((value) => !CONTROL_CHARACTERS.test(value), 'must not contain control characters');

const multiLine = (max: number) =>
  z
    .string()
    .max(max)
    .refine((value) => !CONTROL_CHARACTERS_EXCEPT_WHITESPACE.test(value), 'must not contain control characters');

/** Optional multi-line text where an empty (or blank) string clears the field. */
const optionalMultiLine = (max: number) =>
  multiLine(max)
    .nullish()
    .transform((value) => (value === undefined ? undefined : value === null || value.trim() === '' ? null : value));

// The handle is checked by domain/handle.ts after lower-casing; here only its size is bounded.
const handleInput = z.string().trim().min(1).max(HANDLE_MAX_LENGTH * 2);
const slugInput = z.string().trim().toLowerCase().min(1).max(SLUG_MAX_LENGTH);

export const createMaletInput = z.object({
  handle: handleInput,
  name: singleLine(100),
  description: optionalMultiLine(1000),
});
export type CreateMaletInput = z.infer<typeof createMaletInput>;

export const updateMaletInput = z.object({
  handle: handleInput.nullish(),
  name: singleLine(100).nullish(),
  description: optionalMultiLine(1000),
});
export type UpdateMaletInput = z.infer<typeof updateMaletInput>;

export const createPostInput = z.object({
  slug: slugInput.nullish(),
  title: singleLine(200),
  summary: optionalMultiLine(1000),
  body: multiLine(100_000),
  publish: z.boolean().nullish(),
});
export type CreatePostInput = z.infer<typeof createPostInput>;

export const updatePostInput = z.object({
  slug: slugInput.nullish(),
  title: singleLine(200).nullish(),
  summary: optionalMultiLine(1000),
  body: multiLine(100_000).nullish(),
});
export type UpdatePostInput = z.infer<typeof updatePostInput>;

export const pageArgs = z.object({
  first: z.number().int().min(1).max(100).nullish(),
  after: z.string().max(200).nullish(),
});

/**
 * Parses use-case input with a zod schema. The error names the offending fields, never their
 * values, under `prefix` (the GraphQL argument they came in).
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix = 'input'): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const fields = [...new Set(result.error.issues.map((issue) => [prefix, ...issue.path].join('.')))];
  const rules = result.error.issues.map((issue) => `${[prefix, ...issue.path].join('.')} ${issue.message}`);
  throw new ValidationError(`Invalid input: ${rules.join('; ')}`, fields);
}
