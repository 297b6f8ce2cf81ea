import * as samlify from 'samlify';
import * as schemaValidator from '@authenio/samlify-node-xmllint';

/**
 * samlify, configured once: SAML messages are validated against the SAML 2.0 protocol and
 * assertion schemas by libxml2 compiled to JavaScript (no Java, no native binary).
 */
samlify.setSchemaValidator(schemaValidator);

const { binding } = samlify.Constants.namespace;

/** The service-provider side of one organization's connection: its entity id and endpoints. */
export interface ServiceProviderUrls {
  entityId: string;
  acsUrl: string;
  metadataUrl: string;
  loginUrl: string;
}

/** Each organization is its own service provider, so an assertion for one is never one for another. */
export function serviceProviderUrls(publicUrl: string, organizationId: string): ServiceProviderUrls {
  const base = `${publicUrl.replace(/\/$/, '')}/auth/saml/${organizationId}`;
  return { entityId: `${base}/metadata`, acsUrl: `${base}/acs`, metadataUrl: `${base}/metadata`, loginUrl: `${base}/login` };
}

function serviceProvider(urls: ServiceProviderUrls, clockSkewMs: number) {
  return samlify.ServiceProvider({
    entityID: urls.entityId,
    assertionConsumerService: [{ Binding: binding.post, Location: urls.acsUrl }],
    nameIDFormat: ['urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'],
    wantAssertionsSigned: true,
    authnRequestsSigned: false,
    clockDrifts: [-clockSkewMs, clockSkewMs],
  });
}

function identityProvider(connection: { idpEntityId: string; ssoUrl: string }, certificate: string) {
  return samlify.IdentityProvider({
    entityID: connection.idpEntityId,
    signingCert: certificate,
    singleSignOnService: [{ Binding: binding.redirect, Location: connection.ssoUrl }],
    wantAuthnRequestsSigned: false,
  });
}

/** The SP metadata document to give the IdP (samlify writes it). */
export function serviceProviderMetadata(urls: ServiceProviderUrls): string {
  return serviceProvider(urls, 0).getMetadata();
}

/** An AuthnRequest for the HTTP-Redirect binding: its ID (for InResponseTo) and the URL to send the browser to. */
export function createAuthnRequest(urls: ServiceProviderUrls, connection: { idpEntityId: string; ssoUrl: string; certificates: string[] }) {
  const { id, context } = serviceProvider(urls, 0).createLoginRequest(identityProvider(connection, connection.certificates[0]!), 'redirect');
  return { id, redirectUrl: context };
}

/** How samlify's verdict on a response maps onto our refusals. */
export type ProtocolFailure = 'malformed' | 'structure' | 'signature' | 'issuer' | 'expired' | 'idp_status';

export class SamlProtocolError extends Error {
  constructor(readonly failure: ProtocolFailure) {
    super(failure);
  }
}

function classify(error: unknown): ProtocolFailure {
  const message = error instanceof Error ? error.message : String(error);
  if (/VALIDATE_XML|INVALID_XML|XML parsing|XML fatal/.test(message)) return 'malformed';
  if (/WRAPPING/.test(message)) return 'structure';
  if (/UNMATCH_ISSUER/.test(message)) return 'issuer';
  if (/SUBJECT_UNCONFIRMED|EXPIRED_SESSION/.test(message)) return 'expired';
  if (/FAILED_STATUS/.test(message)) return 'idp_status';
  return 'signature';
}

/**
 * samlify's pipeline on a posted response: schema validation, the IdP's status, the XML
 * signature (response or assertion) with one of the connection's certificates (during a rollover
 * each is tried; the one the signature names first), the issuer, and the validity window on the
 * system clock. Every other rule is checked by the caller on the inspected shape.
 */
export async function verifyWithSamlify(input: {
  samlResponse: string;
  urls: ServiceProviderUrls;
  connection: { idpEntityId: string; ssoUrl: string; certificates: string[] };
  embeddedCertificates: string[];
  clockSkewMs: number;
}): Promise<void> {
  const sp = serviceProvider(input.urls, input.clockSkewMs);
  const ordered = [...input.connection.certificates].sort(
    (a, b) => Number(input.embeddedCertificates.includes(b)) - Number(input.embeddedCertificates.includes(a)),
  );
  let failure: ProtocolFailure = 'signature';
  for (const certificate of ordered) {
    try {
      await sp.parseLoginResponse(identityProvider(input.connection, certificate), 'post', { body: { SAMLResponse: input.samlResponse } });
      return;
    } catch (error) {
      failure = classify(error);
      // Only a signature that this certificate cannot verify is worth trying with the next one.
      if (failure !== 'signature') break;
    }
  }
  throw new SamlProtocolError(failure);
}
