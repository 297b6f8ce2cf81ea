import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import gql from 'graphql-tag';
import { serviceRoot } from '@malet/config';
import { createSubgraphServer, subgraphMiddleware } from '@malet/graphql-server';
import { compileTrustedProxies, createHttpApp, finishHttpApp } from '@malet/http-server';
import { INTERNAL_CALLERS, requireInternalToken } from '@malet/internal-auth';
import type { AuthConfig } from './config';
import { createAuthCore, type AuthCore, type AuthCoreDependencies } from './core/core';
import { createIdentityLoader, createRequestLoaders, type AuthGraphqlContext } from './core/graphql-context';
import { pageAssetsModule } from './core/http/page-assets';
import { mountRoutes } from './core/http/route';
import { scheduleJobs } from './core/jobs';
import { identityResolvers } from './core/identities/identity.resolvers';
import { mergeResolvers } from './core/merge-resolvers';
import type { AuthModule } from './core/module';
import { createAccountModule } from './features/account/account.module';
import { createDevTokenModule } from './features/dev-token/dev-token.module';
import { createDocsModule } from './features/docs/docs.module';
import { createEmailOtpModule } from './features/email-otp/email-otp.module';
import { createEthereumModule } from './features/ethereum/ethereum.module';
import { createHostedPagesModule } from './features/hosted-pages/hosted-pages.module';
import { createIdentifierCheckModule } from './features/identifier-check/identifier-check.module';
import { createMagicLinkModule } from './features/magic-link/magic-link.module';
import { createMfaModule } from './features/mfa/mfa.module';
import type { SmsProvider } from './features/mfa/sms';
import { createPasskeysModule } from './features/passkeys/passkeys.module';
import { createPasswordsModule } from './features/passwords/passwords.module';
import { createRevocationStreamModule } from './features/revocation-stream/revocation-stream.module';
import { createProvisioningModule } from './features/provisioning/provisioning.module';
import { createSamlModule } from './features/saml/saml.module';
import { createSessionsModule } from './features/sessions/sessions.module';
import { createSocialModule } from './features/social/social.module';

export interface AuthDependencies extends AuthCoreDependencies {
  config: AuthConfig;
  /** Throws when the service cannot take traffic (its database is down). */
  ping: () => Promise<void>;
  /** Defaults to config.mfa.sms: Twilio, or the dev provider that mails texts to the catcher. */
  sms?: SmsProvider;
}

/** The features this service runs, in mounting order. */
export function createAuthModules(core: AuthCore, deps: Pick<AuthDependencies, 'config' | 'sms'>) {
  const { config } = deps;
  const passwords = createPasswordsModule(core, config.passwords);
  const mfa = createMfaModule(core, config.mfa, deps.sms);
  const modules: AuthModule[] = [
    createEmailOtpModule(core),
    createMagicLinkModule(core),
    createIdentifierCheckModule(core),
    createSessionsModule(core),
    createRevocationStreamModule(core, config.revocationStream),
    mfa,
    passwords,
    createPasskeysModule(core, config.passkeys),
    createAccountModule(core, {
      confirmPasswordIfSet: passwords.service.confirmPasswordIfSet,
      knowsPassword: passwords.service.knowsPassword,
      errors: passwords.reauthenticationErrors,
    }),
    createProvisioningModule(core),
    createSamlModule(core, config.saml),
    createSocialModule(core, config.social),
    createEthereumModule(core, config.ethereum),
    ...(config.dev.enabled ? [createDevTokenModule(core, config.dev)] : []),
    pageAssetsModule,
  ];
  modules.push(createHostedPagesModule(core, () => modules.flatMap((module) => module.signInProviders ?? [])));
  modules.push(createDocsModule(core, () => modules.flatMap((module) => module.routes ?? [])));
  return { modules, mfa: mfa.service };
}

/** Wires the auth service: `main.ts`, the test harness and the OpenAPI script all build it here. */
export async function createAuthApp(deps: AuthDependencies) {
  const { config, logger } = deps;
  const core = createAuthCore(deps);
  const { modules, mfa } = createAuthModules(core, deps);
  for (const module of modules) {
    if (module.mfaGate) core.useMfaGate(module.mfaGate);
    if (module.signInGuard) core.useSignInGuard(module.signInGuard);
    if (module.onMailboxProven) core.mailboxProof.onProven(module.onMailboxProven);
    for (const subscriber of module.eventSubscribers ?? []) core.addEventSubscriber(subscriber);
    if (module.signInMethods) core.signInMethods.use(module.signInMethods);
  }
  const routes = modules.flatMap((module) => module.routes ?? []);

  const app = createHttpApp({ service: 'auth', logger, metrics: core.metrics, production: config.production, readiness: deps.ping });
  app.set('trust proxy', compileTrustedProxies(config.trustedProxies));
  app.use(
    mountRoutes(routes, {
      verifyOrigin: core.verifyRequestOrigin,
      limits: core.limits,
      sessions: core.sessions,
      clock: core.clock,
      recentSignInSeconds: config.session.recentSignInSeconds,
    }),
  );
  for (const { assets } of modules) if (assets) app.use(assets.path, ...assets.handlers);
  // Any process holding a valid internal token gets this far; each route names the callers it serves.
  app.use('/internal', requireInternalToken(core.verifyInternalToken, { callers: INTERNAL_CALLERS }));
  for (const { internalRoutes } of modules) if (internalRoutes) app.use(internalRoutes);

  const typeDefs = gql(readFileSync(join(serviceRoot(import.meta.url), 'src/schema.graphql'), 'utf8'));
  const resolvers = mergeResolvers<AuthGraphqlContext>([identityResolvers, ...modules.flatMap((module) => (module.resolvers ? [module.resolvers] : []))]);
  const graphql = await createSubgraphServer<AuthGraphqlContext>({ typeDefs, resolvers, logger, metrics: core.metrics });
  app.post(
    '/graphql',
    subgraphMiddleware(graphql, core.verifyInternalToken, (base) => ({ ...base, identities: createIdentityLoader(core.identities), loaders: createRequestLoaders() })),
  );
  finishHttpApp(app);

  const stopJobs = scheduleJobs([...core.jobs, ...modules.flatMap((module) => module.jobs ?? [])], logger);

  return {
    app,
    core,
    routes,
    mfa,
    identities: core.identities,
    completeSignIn: core.completeSignIn,
    refreshTokens: core.refreshTokens,
    background: core.background,
    metrics: core.metrics,
    relay: core.relay,
    /** Runs each module's start-up work, then starts delivering outbox events. */
    async start() {
      for (const module of modules) await module.start?.();
      core.relay.start();
      core.relay.wake();
    },
    async close() {
      stopJobs();
      for (const module of modules) await module.close?.();
      await graphql.stop();
      await core.close();
    },
  };
}

export type AuthApp = Awaited<ReturnType<typeof createAuthApp>>;
