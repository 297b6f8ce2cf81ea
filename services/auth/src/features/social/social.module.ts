import type { AuthCore } from '../../core/core';
import type { AuthModule } from '../../core/module';
import { mobileRoutes } from './mobile.routes';
import { createMobileTokenExchange } from './mobile.service';
import { createOAuthClient } from './oauth-client';
import { PROVIDER_LABELS } from './oauth-providers';
import type { SocialConfig } from './social.config';
import { createSocialRepository } from './social.repository';
import { socialRoutes } from './social.routes';
import { createSocialSignInService } from './social.service';

/**
 * Social sign-in: seed 000's browser OAuth flows for five providers, linking them to accounts,
 * and the mobile token exchange. Browser and mobile share the provider catalogue and its
 * profile checks, so they are one feature; the links themselves are core's (core/linked-identities),
 * shared with Sign-In with Ethereum.
 */
export function createSocialModule(core: AuthCore, config: SocialConfig) {
  const repository = createSocialRepository(core.db);
  const clients = new Map(config.providers.map((settings) => [settings.name, createOAuthClient(settings, { clock: core.clock })] as const));
  const social = createSocialSignInService({
    clients,
    flows: repository,
    linkedIdentities: core.linkedIdentities,
    completeSignIn: core.completeSignIn,
    audit: core.audit,
    clock: core.clock,
    publicUrl: core.config.publicUrl,
    returnToAllowlist: core.config.returnToAllowlist,
    flowTtlSeconds: config.flowTtlSeconds,
  });
  const exchange = createMobileTokenExchange({
    providers: new Map(config.providers.map((settings) => [settings.name, settings] as const)),
    nonces: repository,
    linkedIdentities: core.linkedIdentities,
    completeSignIn: core.completeSignIn,
    audit: core.audit,
    clock: core.clock,
  });
  return {
    name: 'social',
    routes: [...socialRoutes(core, social), ...mobileRoutes(core, exchange)],
    jobs: [
      {
        // Finished and abandoned sign-ins, pending links and spent nonces are kept a day, then deleted.
        name: 'purge expired OAuth flows',
        everyMs: 10 * 60_000,
        run: () => repository.purgeExpired(new Date(core.clock.now().getTime() - 86_400_000)),
      },
    ],
    /** "Continue with ..." on the hosted sign-in page, for each provider on offer. */
    signInProviders: config.providers.map(({ name }) => ({ id: name, label: `Continue with ${PROVIDER_LABELS[name]}`, href: `/auth/oauth/${name}` })),
  } satisfies AuthModule;
}
