import { defineErrors } from '../../core/errors/error-catalogue';

/**
 * Why a SAML sign-in was refused. The codes are specific (an administrator setting up a
 * connection needs to know which check failed); none reveals anything an attacker holding the
 * response does not already know.
 */
export const samlErrors = defineErrors('saml', {
  /** The organizations service, which keeps the connections, cannot be asked (down or failing). */
  directoryUnavailable: {
    code: 'saml:directory_unavailable',
    status: 503,
    message: 'Single sign-on settings cannot be read right now; retry shortly',
    headers: () => ({ 'Retry-After': '1' }),
  },
  connectionNotFound: { code: 'saml:connection_not_found', status: 404, message: 'This organization does not sign in with SAML' },
  noConnectionForEmail: { code: 'saml:no_connection_for_email', status: 404, message: 'No organization signs in with SAML for that email domain' },
  malformedResponse: { code: 'saml:malformed_response', status: 400, message: (why: string) => `The SAML response is malformed: ${why}`, fields: ['SAMLResponse'] },
  structureRefused: {
    code: 'saml:structure_refused',
    status: 400,
    message: (why: string) => `The SAML response's structure is refused (signature wrapping or injection): ${why}`,
    fields: ['SAMLResponse'],
  },
  signatureInvalid: { code: 'saml:signature_invalid', status: 401, message: "No valid signature by the organization's identity provider" },
  issuerMismatch: { code: 'saml:issuer_mismatch', status: 401, message: "The assertion was not issued by the organization's identity provider" },
  audienceMismatch: { code: 'saml:audience_mismatch', status: 401, message: 'The assertion is meant for another service provider' },
  destinationMismatch: { code: 'saml:destination_mismatch', status: 401, message: (what: string) => `The response's ${what} is not this organization's ACS` },
  assertionExpired: { code: 'saml:assertion_expired', status: 401, message: 'The assertion is not valid at this time (NotBefore / NotOnOrAfter)' },
  unsolicited: { code: 'saml:unsolicited_response', status: 401, message: 'IdP-initiated sign-in is not enabled for this organization' },
  unknownRequest: { code: 'saml:unknown_request', status: 401, message: 'InResponseTo names no pending sign-in request of this organization' },
  replayed: { code: 'saml:replayed', status: 401, message: 'This assertion was already used' },
  idpRefused: { code: 'saml:idp_refused', status: 401, message: 'The identity provider did not authenticate the user' },
  noEmail: { code: 'saml:no_email', status: 400, message: 'The assertion names no email address (NameID or an email attribute)' },
  emailDomainNotVerified: {
    code: 'saml:email_domain_not_verified',
    status: 403,
    message: "An account with this email exists and the organization has not verified the email's domain",
  },
});

export type SamlErrors = typeof samlErrors;
