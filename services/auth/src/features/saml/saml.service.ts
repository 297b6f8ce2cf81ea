import type { AuditLog } from '../../core/audit/audit-log';
import type { Clock } from '../../core/clock';
import { coreErrors } from '../../core/errors/core.errors';
import type { RequestMeta } from '../../core/http/request-meta';
import { isAllowedReturnTo } from '../../core/http/return-to';
import { normalizeEmail } from '../../core/identities/email';
import type { IdentityRepository, IdentityRow } from '../../core/identities/identity.repository';
import type { MailboxProof } from '../../core/identities/mailbox-proof';
import type { CompleteSignIn, SignInResult } from '../../core/sign-in/complete-sign-in';
import type { SamlConnection, SamlConnectionClient } from './saml-connection.client';
import { createAuthnRequest, SamlProtocolError, serviceProviderMetadata, serviceProviderUrls, verifyWithSamlify, type ServiceProviderUrls } from './saml-protocol';
import { inspectSamlResponse, NAME_ID_EMAIL_FORMAT, SamlShapeError, type SamlResponseShape } from './saml-response.inspector';
import { samlErrors } from './saml.errors';
import type { SamlRepository } from './saml.repository';

export const SAML_METHOD = 'saml';

const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const EMAIL_ATTRIBUTES = ['email', 'mail', 'emailAddress', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', 'urn:oid:0.9.2342.19200300.100.1.3'];
const NAME_ATTRIBUTES = ['displayName', 'name', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name', 'urn:oid:2.16.840.1.113730.3.1.241'];
const LOOKS_LIKE_EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * SAML single sign-on, service-provider side. Each organization is its own SP (entity id and ACS
 * under `/auth/saml/:org_id/`), so a response is checked against exactly one organization's IdP
 * and one audience: an assertion of organization A's IdP posted to B's ACS fails B's signature
 * check, and an assertion A's IdP made for B's audience fails A's. Checks, in order:
 *
 * 1. structure (saml-response.inspector.ts): one assertion, signatures enveloped and referencing
 *    their parent, no encrypted parts, no comments, unique IDs: the element samlify verifies is
 *    the element we read;
 * 2. samlify: schema, signature with one of the connection's certificates, issuer, validity;
 * 3. here, again and beyond samlify: issuer, success status, audience, destination, recipient,
 *    NotBefore / NotOnOrAfter with the bounded skew, InResponseTo, then the replay cache.
 */
export function createSamlService(deps: {
  connections: SamlConnectionClient;
  repository: SamlRepository;
  identities: Pick<IdentityRepository, 'findById' | 'findByEmail' | 'createWithEvent' | 'announceDisplayName'>;
  mailboxProof: Pick<MailboxProof, 'verifiedIdentityFor'>;
  completeSignIn: CompleteSignIn;
  audit: AuditLog;
  clock: Clock;
  publicUrl: string;
  returnToAllowlist: readonly string[];
  clockSkewSeconds: number;
  requestTtlSeconds: number;
  /** Wakes the outbox relay (membership and profile events follow promptly). */
  onEventsQueued: () => void;
}) {
  const urlsFor = (organizationId: string) => serviceProviderUrls(deps.publicUrl, organizationId);
  const skewMs = deps.clockSkewSeconds * 1000;

  async function connectionOrThrow(organizationId: string): Promise<SamlConnection> {
    const connection = await deps.connections.findConnection(organizationId);
    if (!connection) throw samlErrors.connectionNotFound();
    return connection;
  }

  /** Both sides of the window, with the skew: NotBefore - skew <= now < NotOnOrAfter + skew. */
  function withinWindow(now: number, notBefore: string | null, notOnOrAfter: string | null): boolean {
    const before = notBefore === null ? null : Date.parse(notBefore);
    const after = notOnOrAfter === null ? null : Date.parse(notOnOrAfter);
    if (Number.isNaN(before) || Number.isNaN(after)) return false;
    if (before !== null && now < before - skewMs) return false;
    if (after !== null && now >= after + skewMs) return false;
    return true;
  }

  /** The rules samlify leaves to us (or checks only partly), on the one assertion the inspector allowed. */
  function checkClaims(shape: SamlResponseShape, connection: SamlConnection, urls: ServiceProviderUrls, now: number): void {
    if (shape.statusCode !== SUCCESS) throw samlErrors.idpRefused();
    if (shape.issuer !== connection.idpEntityId) throw samlErrors.issuerMismatch();
    // Every AudienceRestriction must name us (SAML core 2.5.1.4), and there must be one.
    if (shape.audienceRestrictions.length === 0 || shape.audienceRestrictions.some((audiences) => !audiences.includes(urls.entityId))) {
      throw samlErrors.audienceMismatch();
    }
    if (shape.destination !== null && shape.destination !== urls.acsUrl) throw samlErrors.destinationMismatch('Destination');
    // Web Browser SSO profile: a bearer confirmation for our ACS, itself still valid.
    const confirmation = shape.confirmations.find((candidate) => candidate.recipient === urls.acsUrl);
    if (!confirmation) throw samlErrors.destinationMismatch('Recipient');
    if (!confirmation.notOnOrAfter || !withinWindow(now, confirmation.notBefore, confirmation.notOnOrAfter)) throw samlErrors.assertionExpired();
    if (!withinWindow(now, shape.notBefore, shape.notOnOrAfter)) throw samlErrors.assertionExpired();
    if (confirmation.inResponseTo !== shape.inResponseTo) throw samlErrors.unknownRequest();
  }

  function emailOf(shape: SamlResponseShape): string {
    const candidates = [
      ...(shape.nameIdFormat === NAME_ID_EMAIL_FORMAT || LOOKS_LIKE_EMAIL.test(shape.nameId) ? [shape.nameId] : []),
      ...EMAIL_ATTRIBUTES.flatMap((name) => shape.attributes[name] ?? []),
    ];
    const email = candidates.find((value) => LOOKS_LIKE_EMAIL.test(value) && value.length <= 254);
    if (!email) throw samlErrors.noEmail();
    return normalizeEmail(email);
  }

  /**
   * The identity a NameID signs in as. Linked on an earlier sign-in: that one. Otherwise by
   * email: an organization that verified the email's domain vouches for the mailbox (as SCIM
   * provisioning does), so an existing account is linked and a new one starts verified. For any
   * other domain the IdP's word proves nothing about the mailbox: an existing account is refused
   * (no takeover by an IdP that asserts someone else's address), a new one starts unverified and
   * its link is removed if the mailbox owner later proves the address (module's onMailboxProven).
   */
  async function identityFor(connection: SamlConnection, nameId: string, email: string): Promise<{ identity: IdentityRow; linked: boolean }> {
    const linkedUserId = await deps.repository.findLinkedUser(connection.organizationId, nameId);
    const linked = linkedUserId ? await deps.identities.findById(linkedUserId) : null;
    if (linked) return { identity: linked, linked: true };
    const domain = email.slice(email.lastIndexOf('@') + 1);
    if (connection.verifiedDomains.includes(domain)) return { identity: await deps.mailboxProof.verifiedIdentityFor(email), linked: false };
    if (await deps.identities.findByEmail(email)) throw samlErrors.emailDomainNotVerified();
    const { identity } = await deps.identities.createWithEvent({ email, verified: false });
    return { identity, linked: false };
  }

  async function refuse(organizationId: string, meta: RequestMeta, error: Error, userId: string | null = null): Promise<never> {
    await deps.audit.record({
      type: 'signin',
      outcome: 'failure',
      userId,
      method: SAML_METHOD,
      ...meta,
      details: { organization_id: organizationId, reason: 'code' in error ? String(error.code) : error.message },
    });
    throw error;
  }

  async function verifiedShape(samlResponse: string, connection: SamlConnection, urls: ServiceProviderUrls): Promise<SamlResponseShape> {
    const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
    let shape: SamlResponseShape;
    try {
      shape = inspectSamlResponse(xml);
    } catch (error) {
      if (error instanceof SamlShapeError) throw error.kind === 'malformed' ? samlErrors.malformedResponse(error.message) : samlErrors.structureRefused(error.message);
      throw error;
    }
    try {
      await verifyWithSamlify({ samlResponse, urls, connection, embeddedCertificates: shape.embeddedCertificates, clockSkewMs: skewMs });
    } catch (error) {
      if (!(error instanceof SamlProtocolError)) throw error;
      switch (error.failure) {
        case 'malformed':
          throw samlErrors.malformedResponse('not valid against the SAML schema');
        case 'structure':
          throw samlErrors.structureRefused('samlify found a wrapped assertion');
        case 'issuer':
          throw samlErrors.issuerMismatch();
        case 'expired':
          throw samlErrors.assertionExpired();
        case 'idp_status':
          throw samlErrors.idpRefused();
        default:
          throw samlErrors.signatureInvalid();
      }
    }
    return shape;
  }

  async function findLogin(email: string): Promise<{ organization_id: string; login_url: string } | null> {
    const domain = normalizeEmail(email).split('@')[1] ?? '';
    const organizationId = await deps.connections.findOrganizationForDomain(domain);
    return organizationId ? { organization_id: organizationId, login_url: urlsFor(organizationId).loginUrl } : null;
  }

  return {
    urlsFor,

    /** The SP metadata of an organization (deterministic: the IdP may be set up before the connection). */
    metadata: (organizationId: string) => serviceProviderMetadata(urlsFor(organizationId)),

    /** SP-initiated sign-in: an AuthnRequest remembered for its answer, and where to send the browser. */
    async startLogin(input: { organizationId: string; returnTo?: string | undefined }): Promise<string> {
      if (input.returnTo !== undefined && !isAllowedReturnTo(input.returnTo, deps.returnToAllowlist)) throw coreErrors.returnToNotAllowed();
      const connection = await connectionOrThrow(input.organizationId);
      const { id, redirectUrl } = createAuthnRequest(urlsFor(input.organizationId), connection);
      const now = deps.clock.now();
      await deps.repository.insertRequest({
        id,
        organizationId: connection.organizationId,
        connectionId: connection.connectionId,
        returnTo: input.returnTo ?? null,
        createdAt: now,
        expiresAt: new Date(now.getTime() + deps.requestTtlSeconds * 1000),
      });
      return redirectUrl;
    },

    /** Home-realm discovery: the login URL of the organization that verified the email's domain. */
    async discover(email: string): Promise<{ organization_id: string; login_url: string }> {
      const found = await findLogin(email);
      if (!found) throw samlErrors.noConnectionForEmail();
      return found;
    },

    findLogin,

    /** The ACS: a posted response, checked in full, becomes a sign-in through core's one completion path. */
    async consume(input: { organizationId: string; samlResponse: string; relayState?: string | undefined; meta: RequestMeta }): Promise<{ result: SignInResult; returnTo: string | null }> {
      const connection = await connectionOrThrow(input.organizationId);
      const urls = urlsFor(connection.organizationId);
      const now = deps.clock.now();
      let shape: SamlResponseShape;
      try {
        shape = await verifiedShape(input.samlResponse, connection, urls);
        checkClaims(shape, connection, urls, now.getTime());
      } catch (error) {
        return refuse(connection.organizationId, input.meta, error as Error);
      }

      // The replay cache first, so a replayed SP-initiated answer is named as such.
      const expiresAt = Math.max(...[shape.notOnOrAfter, ...shape.confirmations.map((c) => c.notOnOrAfter)].flatMap((v) => (v ? [Date.parse(v)] : [])));
      const fresh = await deps.repository.rememberAssertion({
        issuer: connection.idpEntityId,
        assertionId: shape.assertionId,
        organizationId: connection.organizationId,
        expiresAt: new Date(expiresAt + skewMs),
      });
      if (!fresh) return refuse(connection.organizationId, input.meta, samlErrors.replayed());

      let returnTo: string | null = null;
      if (shape.inResponseTo !== null) {
        const request = await deps.repository.consumeRequest(shape.inResponseTo, connection.organizationId, now);
        if (!request) return refuse(connection.organizationId, input.meta, samlErrors.unknownRequest());
        returnTo = request.returnTo;
      } else {
        if (!connection.allowIdpInitiated) return refuse(connection.organizationId, input.meta, samlErrors.unsolicited());
        // IdP-initiated: RelayState is only a hint, followed when it is an allow-listed destination.
        if (input.relayState && isAllowedReturnTo(input.relayState, deps.returnToAllowlist)) returnTo = input.relayState;
      }

      let identity: IdentityRow;
      let linked: boolean;
      try {
        ({ identity, linked } = await identityFor(connection, shape.nameId, emailOf(shape)));
      } catch (error) {
        return refuse(connection.organizationId, input.meta, error as Error);
      }
      const displayName = NAME_ATTRIBUTES.flatMap((name) => shape.attributes[name] ?? []).find((value) => value.length > 0 && value.length <= 200);
      if (!linked && displayName) await deps.identities.announceDisplayName(identity.id, displayName);
      const result = await deps.completeSignIn({
        user: { id: identity.id, email: identity.email },
        method: SAML_METHOD,
        meta: input.meta,
        sso: { organizationId: connection.organizationId, connectionId: connection.connectionId },
      });
      // After the guards let the account in (a deactivated one gains no membership): the link and the membership event.
      await deps.repository.recordSignIn({ organizationId: connection.organizationId, connectionId: connection.connectionId, nameId: shape.nameId, userId: identity.id, now });
      deps.onEventsQueued();
      return { result, returnTo };
    },

    /** Purges spent requests and remembered assertions once they expired. */
    purgeExpired: () => deps.repository.purgeExpired(deps.clock.now()),
  };
}

export type SamlService = ReturnType<typeof createSamlService>;
