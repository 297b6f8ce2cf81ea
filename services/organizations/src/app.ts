import { createHttpApp, finishHttpApp } from '@malet/http-server';
import { createInternalTokenVerifier } from '@malet/internal-auth';
import { createSubgraphServer, subgraphMiddleware } from '@malet/graphql-server';
import type { Logger } from '@malet/logging';
import { createMailRelay, createSmtpSender, type SendMail } from '@malet/mail-outbox';
import { createMetrics } from '@malet/metrics';
import type { OrganizationsConfig } from './config';
import type { OrganizationsDb } from './data/db';
import { createDomainRepository } from './data/domain.repository';
import { createInvitationRepository } from './data/invitation.repository';
import { createOrganizationRepository } from './data/organization.repository';
import { createProvisioningRepository } from './data/provisioning.repository';
import { createSamlConnectionRepository } from './data/saml-connection.repository';
import { createScimTokenRepository } from './data/scim-token.repository';
import { createDomainVerificationService } from './domain/domain-verification.service';
import { createInvitationService } from './domain/invitation.service';
import { createOrganizationService } from './domain/organization.service';
import { createSamlConnectionService } from './domain/saml-connection.service';
import { createScimTokenService } from './domain/scim-token.service';
import { createLoaders } from './graphql/loaders';
import { createResolvers, typeDefs, type OrganizationsContext } from './graphql/resolvers';
import { createTxtResolver, type TxtResolver } from './infra/txt-resolver';
import { internalRoutes } from './routes/internal.routes';

export async function createOrganizationsApp(deps: {
  config: OrganizationsConfig;
  logger: Logger;
  db: OrganizationsDb;
  ping: () => Promise<void>;
  /** What the mail relay sends queued mail with; defaults to SMTP at config.mail.smtpUrl. */
  sendMail?: SendMail;
  /** Defaults to node's resolver on config.domains.dnsServers. */
  resolver?: TxtResolver;
}) {
  const { config, logger, db } = deps;
  const metrics = createMetrics({ service: 'organizations' });
  const verifyInternalToken = createInternalTokenVerifier({ secret: config.internalTokenSecret });
  const smtp = deps.sendMail ? null : createSmtpSender(config.mail);
  // Invitation mail is queued in mail_outbox with its invitation; this relay delivers it, retrying while SMTP is down.
  const mailRelay = createMailRelay({ db, send: deps.sendMail ?? smtp!, logger });
  mailRelay.start();
  const repositories = {
    organizations: createOrganizationRepository(db),
    domains: createDomainRepository(db),
    provisioning: createProvisioningRepository(db),
    samlConnections: createSamlConnectionRepository(db),
  };
  const service = createOrganizationService({ organizations: repositories.organizations });
  const invitations = createInvitationService({
    invitations: createInvitationRepository(db),
    organizations: service,
    findOrganization: async (id) => (await repositories.organizations.findManyByIds([id]))[0] ?? null,
    onMailQueued: () => mailRelay.wake(),
    publicUrl: config.publicUrl,
  });
  const domains = createDomainVerificationService({
    domains: repositories.domains,
    organizations: service,
    resolver: deps.resolver ?? createTxtResolver({ servers: config.domains.dnsServers }),
    skipProof: config.domains.skipProof,
  });
  const scimTokens = createScimTokenService({ tokens: createScimTokenRepository(db), domains: repositories.domains, organizations: service });
  const samlConnections = createSamlConnectionService({ connections: repositories.samlConnections, organizations: service, requireHttps: config.production });

  const app = createHttpApp({ service: 'organizations', logger, metrics, production: config.production, readiness: deps.ping });
  app.use(internalRoutes({ db, ...repositories, scimTokens, verifyInternalToken }));
  const graphql = await createSubgraphServer<OrganizationsContext>({
    typeDefs,
    resolvers: createResolvers({ service, invitations, domains, scimTokens, samlConnections }),
    logger,
    metrics,
  });
  app.post(
    '/graphql',
    subgraphMiddleware(graphql, verifyInternalToken, (base) => ({ ...base, loaders: createLoaders(repositories, base.identity.userId) })),
  );
  finishHttpApp(app);
  return {
    app,
    async close() {
      await graphql.stop();
      await mailRelay.stop();
      smtp?.close();
    },
  };
}
