import { Router } from 'express';
import { z } from 'zod';
import { NotFoundError, UnauthenticatedError } from '@malet/errors';
import { validate } from '@malet/http-server';
import { INTERNAL_CALLERS, allowCallers, requireInternalToken, type InternalTokenVerifier } from '@malet/internal-auth';
import { consumeEventOnce, outboxEventSchema } from '@malet/outbox';
import type { OrganizationsDb } from '../data/db';
import type { DomainRepository } from '../data/domain.repository';
import type { OrganizationRepository } from '../data/organization.repository';
import type { ProvisioningRepository } from '../data/provisioning.repository';
import type { SamlConnectionRepository } from '../data/saml-connection.repository';
import type { ScimTokenService } from '../domain/scim-token.service';

const sequence = z.number().int().positive();
const userEvent = z.object({ organization_id: z.uuid(), user_id: z.uuid(), active: z.boolean().default(true), sequence });
const groupUpdated = z.object({
  organization_id: z.uuid(),
  group_id: z.uuid(),
  display_name: z.string().min(1).max(4_096),
  external_id: z.string().max(4_096).nullable().default(null),
  member_user_ids: z.array(z.uuid()).max(100_000),
  sequence,
});
const groupDeleted = z.object({ organization_id: z.uuid(), group_id: z.uuid(), sequence });
const samlSignIn = z.object({ organization_id: z.uuid(), user_id: z.uuid() });
const domainName = z.string().trim().toLowerCase().min(1).max(253);

/** Endpoints for other services only: every request needs a verified internal token, and each route names its callers. */
export function internalRoutes(deps: {
  db: OrganizationsDb;
  organizations: OrganizationRepository;
  domains: DomainRepository;
  provisioning: ProvisioningRepository;
  scimTokens: ScimTokenService;
  samlConnections: SamlConnectionRepository;
  verifyInternalToken: InternalTokenVerifier;
}): Router {
  const router = Router();
  router.use('/internal', requireInternalToken(deps.verifyInternalToken, { callers: INTERNAL_CALLERS }));

  router.get('/internal/users/:id/memberships', allowCallers(['scim', 'auth']), async function listMemberships(req, res) {
    const rows = await deps.organizations.membershipsOfUser(req.params.id!);
    res.json({ memberships: rows.map((row) => ({ organization_id: row.organizationId, role: row.role, active: row.active })) });
  });

  /** The SCIM service asks which organization a bearer token acts for (tokens are stored here, hashed). */
  router.post('/internal/scim-tokens/verify', allowCallers(['scim']), async function verifyScimToken(req, res) {
    const { token } = validate(z.object({ token: z.string().min(1).max(200) }), req.body);
    const tenant = await deps.scimTokens.verify(token);
    if (!tenant) throw new UnauthenticatedError('Unknown or revoked SCIM token', 'scim_token:invalid');
    res.json({ organization_id: tenant.organizationId, token_id: tenant.tokenId, verified_domains: tenant.verifiedDomains });
  });

  /**
   * Auth reads an organization's SAML connection to check an assertion posted to that
   * organization's ACS, with the verified domains whose accounts the IdP may claim.
   */
  router.get('/internal/organizations/:id/saml-connection', allowCallers(['auth']), async function readSamlConnection(req, res) {
    const organizationId = req.params.id!;
    const connection = await deps.samlConnections.findByOrganization(organizationId);
    if (!connection) throw new NotFoundError('This organization has no SAML connection', 'saml_connection:not_found');
    res.json({
      organization_id: connection.organizationId,
      connection_id: connection.id,
      idp_entity_id: connection.idpEntityId,
      sso_url: connection.ssoUrl,
      certificates: connection.certificates,
      allow_idp_initiated: connection.allowIdpInitiated,
      verified_domains: await deps.domains.verifiedFor(connection.organizationId),
      updated_at: connection.updatedAt.toISOString(),
    });
  });

  /** Home-realm discovery: the organization that verified this email domain and signs in with SAML. */
  router.get('/internal/saml-connections/by-domain/:domain', allowCallers(['auth']), async function discoverSamlConnection(req, res) {
    const domain = validate(domainName, req.params.domain);
    const organizationId = await deps.samlConnections.findOrganizationForDomain(domain);
    if (!organizationId) throw new NotFoundError('No SAML connection for that domain', 'saml_connection:not_found');
    res.json({ organization_id: organizationId });
  });

  /** SCIM's provisioning events (at least once, in any order: sequences decide) and auth's SAML sign-ins. */
  router.post('/internal/events', allowCallers(['scim', 'auth']), async function receiveEvent(req, res) {
    const event = validate(outboxEventSchema, req.body);
    const apply = applierFor(event.topic, event.payload, deps.provisioning);
    if (!apply) {
      // Unknown topics are acknowledged so the producer's outbox does not retry them forever.
      res.json({ status: 'ignored' });
      return;
    }
    res.json({ status: await consumeEventOnce(deps.db, event, apply) });
  });

  return router;
}

function applierFor(topic: string, payload: unknown, provisioning: ProvisioningRepository) {
  switch (topic) {
    case 'scim.user.provisioned':
    case 'scim.user.deactivated':
    case 'scim.user.reactivated': {
      const user = validate(userEvent, payload);
      return (tx: Parameters<ProvisioningRepository['applyUserState']>[0]) =>
        provisioning.applyUserState(tx, { organizationId: user.organization_id, userId: user.user_id, active: user.active, sequence: user.sequence });
    }
    case 'scim.user.deleted': {
      const user = validate(userEvent, payload);
      return (tx: Parameters<ProvisioningRepository['applyUserDeleted']>[0]) =>
        provisioning.applyUserDeleted(tx, { organizationId: user.organization_id, userId: user.user_id, sequence: user.sequence });
    }
    case 'scim.group.updated': {
      const group = validate(groupUpdated, payload);
      return (tx: Parameters<ProvisioningRepository['applyGroup']>[0]) =>
        provisioning.applyGroup(tx, {
          organizationId: group.organization_id,
          groupId: group.group_id,
          displayName: group.display_name,
          externalId: group.external_id,
          memberUserIds: group.member_user_ids,
          sequence: group.sequence,
        });
    }
    case 'scim.group.deleted': {
      const group = validate(groupDeleted, payload);
      return (tx: Parameters<ProvisioningRepository['applyGroupDeleted']>[0]) =>
        provisioning.applyGroupDeleted(tx, { organizationId: group.organization_id, groupId: group.group_id, sequence: group.sequence });
    }
    case 'saml.user.signed_in': {
      const signIn = validate(samlSignIn, payload);
      return (tx: Parameters<ProvisioningRepository['applySamlSignIn']>[0]) =>
        provisioning.applySamlSignIn(tx, { organizationId: signIn.organization_id, userId: signIn.user_id });
    }
    default:
      return null;
  }
}
