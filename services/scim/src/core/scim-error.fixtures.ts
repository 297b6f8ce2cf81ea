import { ScimError } from './scim-error';

/** The `scimType` a call fails with; 'no error' or 'not a ScimError' otherwise, so a test can say which. */
export function scimTypeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof ScimError ? error.scimType : 'not a ScimError';
  }
  return 'no error';
}
