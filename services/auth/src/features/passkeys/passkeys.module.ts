import type { AuthCore } from '../../core/core';
import type { AuthModule } from '../../core/module';
import type { PasskeyConfig } from './passkey.config';
import { createPasskeyRepository } from './passkey.repository';
import { createPasskeyResolvers } from './passkey.resolvers';
import { passkeyRoutes } from './passkey.routes';
import { createPasskeyService } from './passkey.service';

/**
 * Passkeys (seed 000's WebAuthn table): registration by a signed-in user, sign-in with or without
 * an email (and by autofill), the user's list of passkeys over REST and GraphQL. Its passkeys
 * count among the user's ways to sign in, and an unproven account holder's passkeys go when the
 * mailbox owner proves the address.
 */
export function createPasskeysModule(core: AuthCore, config: PasskeyConfig) {
  const service = createPasskeyService({
    passkeys: createPasskeyRepository(core.db),
    identities: core.identities,
    signInMethods: core.signInMethods,
    completeSignIn: core.completeSignIn,
    audit: core.audit,
    clock: core.clock,
    config,
    decoySecret: core.config.otp.hmacSecret,
  });
  return {
    name: 'passkeys',
    routes: passkeyRoutes(core, service),
    resolvers: createPasskeyResolvers(core, service),
    signInMethods: service.signInMethods,
    onMailboxProven: service.retireUnprovenPasskeys,
    jobs: [{ name: 'purge ended passkey challenges', everyMs: 10 * 60_000, run: service.purgeChallenges }],
    service,
  } satisfies AuthModule & Record<string, unknown>;
}
