import type { AuthCore } from '../../core/core';
import type { AuthModule } from '../../core/module';
import type { SignInProvider } from '../../core/sign-in/sign-in-provider';
import { hostedPageRoutes } from './hosted-pages.routes';

/**
 * Sign-in, sign-up, second-step and account pages that a web app can send its users to
 * (`/auth/ui/...`). `providers` lists the sign-in buttons other modules offer
 * (`AuthModule.signInProviders`), read when a page is drawn.
 */
export function createHostedPagesModule(core: AuthCore, providers: () => readonly SignInProvider[]): AuthModule {
  return { name: 'hosted-pages', routes: hostedPageRoutes(core, providers) };
}
