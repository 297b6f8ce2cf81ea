import { execFileSync } from 'node:child_process';
import { randomUUID, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrganizationsTestInstance, type OrganizationsTestInstance } from './organizations-test-instance';

let orgs: OrganizationsTestInstance;
beforeAll(async () => {
  orgs = await startOrganizationsTestInstance();
});
afterAll(() => orgs?.stop());

/** A self-signed certificate as an IdP administrator makes one (openssl), as PEM. */
function certificate(name: string): { pem: string; fingerprint: string } {
  const dir = mkdtempSync(join(tmpdir(), 'idp-cert-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2', '-subj', `/CN=${name}`, '-keyout', join(dir, 'k'), '-out', join(dir, 'c')], { stdio: 'ignore' });
  const pem = readFileSync(join(dir, 'c'), 'utf8');
  return { pem, fingerprint: new X509Certificate(pem).fingerprint256 };
}

const body = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');

/** An IdP's metadata document, written as IdPs publish them. */
const idpMetadata = (entityId: string, ssoUrl: string, pem: string, binding = 'HTTP-Redirect') => `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${entityId}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" WantAuthnRequestsSigned="false">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${body(pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:${binding}" Location="${ssoUrl}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;

const FIELDS = 'organizationId idpEntityId ssoUrl allowIdpInitiated certificates { fingerprint subject pem }';
const FROM_METADATA = `mutation($o: ID!, $x: String!, $i: Boolean) { configureSamlConnection(organizationId: $o, idpMetadataXml: $x, allowIdpInitiated: $i) { ${FIELDS} } }`;
const MANUAL = `mutation($o: ID!, $e: String!, $u: String!, $c: String!) { configureSamlConnectionManually(organizationId: $o, idpEntityId: $e, ssoUrl: $u, certificate: $c) { ${FIELDS} } }`;
const READ = `query($o: ID!) { samlConnection(organizationId: $o) { ${FIELDS} } }`;
const ADD_CERT = 'mutation($o: ID!, $c: String!) { addSamlCertificate(organizationId: $o, certificate: $c) { certificates { fingerprint } } }';
const REMOVE_CERT = 'mutation($o: ID!, $f: String!) { removeSamlCertificate(organizationId: $o, fingerprint: $f) { certificates { fingerprint } } }';
const DELETE = 'mutation($o: ID!) { deleteSamlConnection(organizationId: $o) }';

interface Connection {
  organizationId: string;
  idpEntityId: string;
  ssoUrl: string;
  allowIdpInitiated: boolean;
  certificates: { fingerprint: string; subject: string; pem: string }[];
}

describe('SAML connections (organizations subgraph)', () => {
  it("an owner configures one from the IdP's metadata; auth's internal read carries it with the verified domains", async () => {
    const owner = orgs.newUser('owner');
    const { id } = await orgs.createOrganization(owner);
    const cert = certificate('acme-idp');
    const configured = await orgs.graphql<{ configureSamlConnection: Connection }>(owner, FROM_METADATA, {
      o: id,
      x: idpMetadata('https://idp.acme.test/entity', 'https://idp.acme.test/sso', cert.pem),
      i: true,
    });
    expect(configured.errors).toBeUndefined();
    expect(configured.data!.configureSamlConnection).toMatchObject({
      organizationId: id,
      idpEntityId: 'https://idp.acme.test/entity',
      ssoUrl: 'https://idp.acme.test/sso',
      allowIdpInitiated: true,
      certificates: [{ fingerprint: cert.fingerprint, subject: 'CN=acme-idp' }],
    });
    expect((await orgs.graphql<{ samlConnection: Connection }>(owner, READ, { o: id })).data!.samlConnection.idpEntityId).toBe('https://idp.acme.test/entity');

    const internal = await orgs.internalGet(`/internal/organizations/${id}/saml-connection`);
    expect(internal.status).toBe(200);
    expect(internal.body).toMatchObject({ organization_id: id, idp_entity_id: 'https://idp.acme.test/entity', certificates: [body(cert.pem)], allow_idp_initiated: true, verified_domains: [] });
    expect((await orgs.internalGet(`/internal/organizations/${id}/saml-connection`, { caller: null })).status).toBe(401);
    // Only auth reads connections (certificates and domains are no business of the gateway's).
    expect((await orgs.internalGet(`/internal/organizations/${id}/saml-connection`, { caller: 'gateway' })).status).toBe(403);
  });

  it('refuses metadata with a DTD, without an HTTP-Redirect SSO endpoint, or that is not metadata; and a bad certificate or URL by hand', async () => {
    const owner = orgs.newUser('owner');
    const { id } = await orgs.createOrganization(owner);
    const cert = certificate('bad-input');
    const good = idpMetadata('https://idp.test/e', 'https://idp.test/sso', cert.pem);
    const refused = async (query: string, variables: Record<string, unknown>) => (await orgs.graphql(owner, query, { o: id, ...variables })).code;
    expect(await refused(FROM_METADATA, { x: good.replace('<?xml version="1.0"?>', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]>') })).toBe('request:invalid');
    expect(await refused(FROM_METADATA, { x: idpMetadata('https://idp.test/e', 'https://idp.test/sso', cert.pem, 'HTTP-POST') })).toBe('request:invalid');
    expect(await refused(FROM_METADATA, { x: '<nope/>' })).toBe('request:invalid');
    expect(await refused(MANUAL, { e: 'https://idp.test/e', u: 'https://idp.test/sso', c: 'not a certificate' })).toBe('request:invalid');
    expect(await refused(MANUAL, { e: 'https://idp.test/e', u: 'javascript:alert(1)', c: cert.pem })).toBe('request:invalid');
    expect((await orgs.graphql<{ samlConnection: null }>(owner, READ, { o: id })).data).toEqual({ samlConnection: null });
  });

  it('owners and admins manage it; a member may not; a stranger does not see the organization', async () => {
    const owner = orgs.newUser('owner');
    const admin = orgs.newUser('admin');
    const member = orgs.newUser('member');
    const stranger = orgs.newUser('stranger');
    const { id } = await orgs.createOrganization(owner);
    await orgs.join(id, owner, admin, 'ADMIN');
    await orgs.join(id, owner, member, 'MEMBER');
    const cert = certificate('roles');
    const variables = { o: id, e: 'https://idp.test/e', u: 'https://idp.test/sso', c: cert.pem };
    expect((await orgs.graphql(admin, MANUAL, variables)).errors).toBeUndefined();
    expect((await orgs.graphql(member, MANUAL, variables)).code).toBe('organization:forbidden');
    expect((await orgs.graphql(member, READ, { o: id })).code).toBe('organization:forbidden');
    expect((await orgs.graphql(member, DELETE, { o: id })).code).toBe('organization:forbidden');
    expect((await orgs.graphql(stranger, READ, { o: id })).code).toBe('organization:not_found');
  });

  it('certificate rollover: two at once, never three, never none; a deleted connection is gone for auth too', async () => {
    const owner = orgs.newUser('owner');
    const { id } = await orgs.createOrganization(owner);
    const [current, next, third] = [certificate('current'), certificate('next'), certificate('third')];
    await orgs.graphql(owner, MANUAL, { o: id, e: `https://idp-${randomUUID()}.test`, u: 'https://idp.test/sso', c: current.pem });

    const added = await orgs.graphql<{ addSamlCertificate: { certificates: { fingerprint: string }[] } }>(owner, ADD_CERT, { o: id, c: next.pem });
    expect(added.data!.addSamlCertificate.certificates.map((c) => c.fingerprint)).toEqual([current.fingerprint, next.fingerprint]);
    expect((await orgs.internalGet(`/internal/organizations/${id}/saml-connection`)).body.certificates).toEqual([body(current.pem), body(next.pem)]);
    expect((await orgs.graphql(owner, ADD_CERT, { o: id, c: third.pem })).code).toBe('saml_connection:too_many_certificates');

    const removed = await orgs.graphql<{ removeSamlCertificate: { certificates: { fingerprint: string }[] } }>(owner, REMOVE_CERT, { o: id, f: current.fingerprint });
    expect(removed.data!.removeSamlCertificate.certificates.map((c) => c.fingerprint)).toEqual([next.fingerprint]);
    expect((await orgs.graphql(owner, REMOVE_CERT, { o: id, f: next.fingerprint })).code).toBe('saml_connection:last_certificate');
    expect((await orgs.graphql(owner, REMOVE_CERT, { o: id, f: current.fingerprint })).code).toBe('saml_connection:certificate_not_found');

    expect((await orgs.graphql(owner, DELETE, { o: id })).data).toEqual({ deleteSamlConnection: true });
    expect((await orgs.internalGet(`/internal/organizations/${id}/saml-connection`)).status).toBe(404);
  });
});
