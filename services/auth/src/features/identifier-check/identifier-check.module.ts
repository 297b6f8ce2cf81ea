import type { AuthCore } from '../../core/core';
import type { AuthModule } from '../../core/module';
import { identifierCheckRoutes } from './identifier-check.routes';

/** Seed 000's "does an account exist" checks for sign-up forms. */
export function createIdentifierCheckModule(core: AuthCore): AuthModule {
  return { name: 'identifier-check', routes: identifierCheckRoutes(core) };
}
