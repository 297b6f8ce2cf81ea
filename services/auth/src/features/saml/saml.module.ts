import type { AuthCore } from '../../core/core';
import type { AuthModule } from '../../core/module';
import { createSamlConnectionClient } from './saml-connection.client';
import type { SamlConfig } from './saml.config';
import { createSamlRepository } from './saml.repository';
import { samlResolvers } from './saml.resolvers';
import { samlRoutes } from './saml.routes';
import { createSamlService } from './saml.service';

/**
 * SAML single sign-on per organization (docs/saml.md). Organizations owns the connections; auth
 * reads them over internal HTTP, checks responses at the ACS and signs in through core's one
 * completion path, then tells organizations (outbox event `saml.user.signed_in`) to add the
 * member.
 */
export function createSamlModule(core: AuthCore, config: SamlConfig): AuthModule {
  const repository = createSamlRepository(core.db);
  const saml = createSamlService({
    connections: createSamlConnectionClient({ organizationsUrl: config.organizationsUrl, signInternalToken: core.signInternalToken, ttlMs: config.connectionCacheTtlMs }),
    repository,
    identities: core.identities,
    mailboxProof: core.mailboxProof,
    completeSignIn: core.completeSignIn,
    audit: core.audit,
    clock: core.clock,
    publicUrl: core.config.publicUrl,
    returnToAllowlist: core.config.returnToAllowlist,
    clockSkewSeconds: config.clockSkewSeconds,
    requestTtlSeconds: config.requestTtlSeconds,
    onEventsQueued: () => core.relay.wake(),
  });
  return {
    name: 'saml',
    routes: samlRoutes(core, saml),
    resolvers: samlResolvers(saml),
    eventSubscribers: [{ name: 'organizations', url: `${config.organizationsUrl}/internal/events`, topics: ['saml.user.signed_in'] }],
    /**
     * An account a SAML IdP created for an address of a domain its organization has not verified
     * proves nothing about the mailbox: when the mailbox owner proves it, the IdP's links go.
     */
    async onMailboxProven(userId) {
      const samlLinksRemoved = await repository.unlinkUser(userId);
      return samlLinksRemoved > 0 ? { samlLinksRemoved } : {};
    },
    jobs: [{ name: 'purge expired SAML requests and remembered assertions', everyMs: 10 * 60_000, run: () => saml.purgeExpired() }],
  };
}
