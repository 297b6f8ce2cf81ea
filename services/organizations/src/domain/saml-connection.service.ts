import { X509Certificate } from 'node:crypto';
import samlify from 'samlify';
import { ConflictError, NotFoundError, ValidationError } from '@malet/errors';
import type { SamlConnectionRepository, SamlConnectionRow, SamlConnectionSettings } from '../data/saml-connection.repository';
import { MANAGERS, type OrganizationService } from './organization.service';

/** Two certificates at once: the IdP's current signing key and the one it is rolling over to. */
export const MAX_CERTIFICATES = 2;
const MAX_METADATA_CHARS = 200_000;

export interface CertificateSummary {
  fingerprint: string;
  subject: string;
  notBefore: Date;
  notAfter: Date;
}

/** Base64 DER of a certificate given as PEM or as the bare base64 body; null when it is not one. */
export function normalizeCertificate(input: string): string | null {
  const body = input.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length > 20_000) return null;
  try {
    new X509Certificate(Buffer.from(body, 'base64'));
    return body;
  } catch {
    return null;
  }
}

export function describeCertificate(body: string): CertificateSummary {
  const certificate = new X509Certificate(Buffer.from(body, 'base64'));
  return {
    fingerprint: certificate.fingerprint256,
    subject: certificate.subject.replace(/\n/g, ', '),
    notBefore: new Date(certificate.validFrom),
    notAfter: new Date(certificate.validTo),
  };
}

/**
 * SAML connections: an organization's owners and admins point it at their identity provider,
 * from the IdP's metadata or from its entity id, SSO URL and signing certificate. Auth reads the
 * connection (internal HTTP) to check every assertion posted to the organization's ACS.
 */
export function createSamlConnectionService(deps: { connections: SamlConnectionRepository; organizations: OrganizationService; requireHttps: boolean }) {
  const { connections, organizations } = deps;
  const notFound = () => new NotFoundError('This organization has no SAML connection', 'saml_connection:not_found');

  function checkedSettings(input: { idpEntityId: string; ssoUrl: string; certificates: string[]; allowIdpInitiated: boolean }): SamlConnectionSettings {
    const invalid: string[] = [];
    const idpEntityId = input.idpEntityId.trim();
    if (idpEntityId.length < 1 || idpEntityId.length > 1024) invalid.push('idpEntityId');
    const ssoUrl = input.ssoUrl.trim();
    if (!isAllowedUrl(ssoUrl, deps.requireHttps)) invalid.push('ssoUrl');
    const certificates = input.certificates.map(normalizeCertificate);
    if (certificates.length < 1 || certificates.length > MAX_CERTIFICATES || certificates.some((cert) => cert === null)) invalid.push('certificate');
    if (invalid.length) throw new ValidationError(`Invalid ${invalid.join(', ')}`, invalid);
    return { idpEntityId, ssoUrl, certificates: [...new Set(certificates as string[])], allowIdpInitiated: input.allowIdpInitiated };
  }

  async function configure(viewerId: string | null, organizationId: string, settings: Parameters<typeof checkedSettings>[0]): Promise<SamlConnectionRow> {
    const actor = await organizations.requireRole(viewerId, organizationId, MANAGERS);
    return connections.upsert({ organizationId, createdBy: actor.userId, ...checkedSettings(settings) });
  }

  async function managedOrThrow(viewerId: string | null, organizationId: string): Promise<SamlConnectionRow> {
    await organizations.requireRole(viewerId, organizationId, MANAGERS);
    const row = await connections.findByOrganization(organizationId);
    if (!row) throw notFound();
    return row;
  }

  return {
    /** From the IdP's metadata document: its entity id, HTTP-Redirect SSO endpoint and signing certificates. */
    async configureFromMetadata(viewerId: string | null, input: { organizationId: string; idpMetadataXml: string; allowIdpInitiated: boolean }) {
      await organizations.requireRole(viewerId, input.organizationId, MANAGERS);
      const parsed = readIdpMetadata(input.idpMetadataXml);
      return configure(viewerId, input.organizationId, { ...parsed, allowIdpInitiated: input.allowIdpInitiated });
    },

    configure: (viewerId: string | null, input: { organizationId: string; idpEntityId: string; ssoUrl: string; certificate: string; allowIdpInitiated: boolean }) =>
      configure(viewerId, input.organizationId, { ...input, certificates: [input.certificate] }),

    /** The connection, for owners and admins; null when none is configured. */
    async find(viewerId: string | null, organizationId: string): Promise<SamlConnectionRow | null> {
      await organizations.requireRole(viewerId, organizationId, MANAGERS);
      return connections.findByOrganization(organizationId);
    },

    async remove(viewerId: string | null, organizationId: string): Promise<boolean> {
      await organizations.requireRole(viewerId, organizationId, MANAGERS);
      return connections.remove(organizationId);
    },

    /** Rollover, step one: the IdP's next certificate is trusted beside the current one. */
    async addCertificate(viewerId: string | null, input: { organizationId: string; certificate: string }): Promise<SamlConnectionRow> {
      const row = await managedOrThrow(viewerId, input.organizationId);
      const certificate = normalizeCertificate(input.certificate);
      if (!certificate) throw new ValidationError('Invalid certificate', ['certificate']);
      if (row.certificates.includes(certificate)) return row;
      if (row.certificates.length >= MAX_CERTIFICATES) {
        throw new ConflictError(`At most ${MAX_CERTIFICATES} certificates at once: remove the retired one first`, 'saml_connection:too_many_certificates');
      }
      return (await connections.setCertificates(input.organizationId, [...row.certificates, certificate])) ?? Promise.reject(notFound());
    },

    /** Rollover, step two: the retired certificate stops being trusted. The last one cannot go. */
    async removeCertificate(viewerId: string | null, input: { organizationId: string; fingerprint: string }): Promise<SamlConnectionRow> {
      const row = await managedOrThrow(viewerId, input.organizationId);
      const wanted = input.fingerprint.trim().toUpperCase();
      const kept = row.certificates.filter((cert) => describeCertificate(cert).fingerprint !== wanted);
      if (kept.length === row.certificates.length) throw new NotFoundError('No certificate with that fingerprint', 'saml_connection:certificate_not_found');
      if (kept.length === 0) throw new ConflictError('A connection keeps at least one certificate', 'saml_connection:last_certificate');
      return (await connections.setCertificates(input.organizationId, kept)) ?? Promise.reject(notFound());
    },
  };
}

export type SamlConnectionService = ReturnType<typeof createSamlConnectionService>;

function isAllowedUrl(value: string, requireHttps: boolean): boolean {
  if (value.length > 2048) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || (!requireHttps && url.protocol === 'http:');
  } catch {
    return false;
  }
}

/** The parts of an IdP's metadata a connection needs (samlify reads the document). */
function readIdpMetadata(xml: string): { idpEntityId: string; ssoUrl: string; certificates: string[] } {
  const refuse = (why: string) => new ValidationError(`Invalid IdP metadata: ${why}`, ['idpMetadataXml']);
  // No document type declarations: they serve only entity tricks (XXE, billion laughs).
  if (xml.length > MAX_METADATA_CHARS) throw refuse('too large');
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw refuse('document type declarations are not accepted');
  let metadata: ReturnType<typeof samlify.IdPMetadata>;
  try {
    metadata = samlify.IdPMetadata(xml);
  } catch {
    throw refuse('not a single SAML EntityDescriptor');
  }
  const idpEntityId = metadata.getEntityID();
  if (typeof idpEntityId !== 'string' || !idpEntityId) throw refuse('no entityID');
  // A string when the binding is listed; otherwise samlify answers the whole binding map.
  const ssoUrl = metadata.getSingleSignOnService('redirect');
  if (typeof ssoUrl !== 'string' || !ssoUrl) throw refuse('no SingleSignOnService with the HTTP-Redirect binding');
  const signing = metadata.getX509Certificate('signing');
  const certificates = [signing].flat().filter((cert): cert is string => typeof cert === 'string' && cert.length > 0);
  if (certificates.length === 0) throw refuse('no signing certificate');
  return { idpEntityId, ssoUrl, certificates };
}
