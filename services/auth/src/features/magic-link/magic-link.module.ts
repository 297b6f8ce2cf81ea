import type { AuthCore } from '../../core/core';
import type { AuthModule } from '../../core/module';
import { magicLinkRoutes } from './magic-link.routes';
import { createMagicLinkService } from './magic-link.service';

/** Seeds 000 and 001's magic links: a single-use sign-in link by email, for API clients and browsers. */
export function createMagicLinkModule(core: AuthCore): AuthModule {
  const magicLinks = createMagicLinkService({
    challenges: core.loginChallenges,
    mailboxProof: core.mailboxProof,
    sendSignInMail: core.sendSignInMail,
    completeSignIn: core.completeSignIn,
    audit: core.audit,
    clock: core.clock,
    publicUrl: core.config.publicUrl,
    returnToAllowlist: core.config.returnToAllowlist,
  });
  return { name: 'magic-link', routes: magicLinkRoutes(core, magicLinks) };
}
