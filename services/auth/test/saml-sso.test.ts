import { execFile } from 'node:child_process';
import { randomUUID, X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase } from '@malet/database';
import { startDnsServer, waitFor, xmllint, type DnsServer } from '@malet/testing';
import { organizationWithVerifiedDomain } from '../../../test/support/organization-setup';
import { startSuite, type Suite } from '../../../test/support/suite';
import { systemClock } from '../src/core/clock';
import { enrollTotp } from './support';
import { bearer, httpClient } from './support/http-client';
import { makeKeyPair, startSamlIdp, type IdpUser, type SamlIdp } from './support/saml-idp';

/**
 * SAML single sign-on against an independent identity provider (auth0's samlp, in-process on
 * loopback, signing with its own key), through the whole suite: organizations keeps the
 * connection, auth checks the responses, the gateway serves the session at /graphql.
 */

const run = promisify(execFile);
const SCHEMAS = resolve(import.meta.dirname, 'fixtures/saml-schemas');
const SKEW_SECONDS = 120;

let suite: Suite;
let dns: DnsServer;
let idp: SamlIdp;
let authDb: ReturnType<typeof createDatabase>;

interface Org {
  id: string;
  domain: string;
  ownerToken: string;
  spEntityId: string;
  acsUrl: string;
  metadataUrl: string;
  loginUrl: string;
}

async function gql<T>(token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const result = await suite.graphql<T>(query, { token, variables });
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return result.data!;
}

/** An organization made as a customer does (GraphQL through the gateway), with a proven domain and a SAML connection to `idpOf`. */
async function organizationWithSaml(idpOf: Pick<SamlIdp, 'entityId' | 'ssoUrl' | 'keys'>, options: { allowIdpInitiated?: boolean } = {}): Promise<Org> {
  const { organizationId, domain, ownerToken: token } = await organizationWithVerifiedDomain(suite, dns);
  const { configureSamlConnectionManually: connection } = await gql<{ configureSamlConnectionManually: Omit<Org, 'id' | 'domain' | 'ownerToken'> }>(
    token,
    `mutation($o: ID!, $e: String!, $u: String!, $c: String!, $i: Boolean) {
      configureSamlConnectionManually(organizationId: $o, idpEntityId: $e, ssoUrl: $u, certificate: $c, allowIdpInitiated: $i) { spEntityId acsUrl metadataUrl loginUrl }
    }`,
    { o: organizationId, e: idpOf.entityId, u: idpOf.ssoUrl, c: idpOf.keys.cert, i: options.allowIdpInitiated ?? false },
  );
  return { id: organizationId, domain, ownerToken: token, ...connection };
}

const authUrl = (path: string) => `${suite.urls.auth}${path}`;

/** SP-initiated: auth's login redirect to the IdP, whose answer (for `user`) comes back as the form's fields. */
async function responseFromIdp(org: Org, user: IdpUser, overrides: Parameters<SamlIdp['answerAs']>[1] = {}, returnTo?: string) {
  const query = returnTo ? `?return_to=${encodeURIComponent(returnTo)}` : '';
  const start = await fetch(authUrl(`/auth/saml/${org.id}/login${query}`), { redirect: 'manual' });
  expect(start.status).toBe(302);
  const location = start.headers.get('location')!;
  expect(location.startsWith(`${idp.ssoUrl}?SAMLRequest=`)).toBe(true);
  idp.answerAs(user, overrides);
  const answer = await fetch(location);
  expect(answer.status).toBe(200);
  return (await answer.json()) as { acs: string; SAMLResponse: string; RelayState: string };
}

/** The IdP page's auto-submitted form: a cross-site POST from the IdP's origin. */
async function postToAcs(organizationId: string, samlResponse: string, relayState?: string) {
  const response = await fetch(authUrl(`/auth/saml/${organizationId}/acs`), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: idp.url, 'sec-fetch-site': 'cross-site' },
    body: new URLSearchParams({ SAMLResponse: samlResponse, ...(relayState ? { RelayState: relayState } : {}) }),
  });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { html: text };
  }
  return { status: response.status, headers: response.headers, body };
}

/** An account that exists before the organization's IdP first names its address (signed up earlier). */
async function existingAccount(email: string): Promise<string> {
  const { rows } = await authDb.pool.query('insert into identities (email, email_verified_at) values ($1, now()) returning id', [email]);
  return String(rows[0].id);
}

const sessionCookieOf = (headers: Headers) => /session_token=([^;]+)/.exec(headers.get('set-cookie') ?? '')?.[1] ?? null;
const decode = (samlResponse: string) => Buffer.from(samlResponse, 'base64').toString('utf8');
const encode = (xml: string) => Buffer.from(xml, 'utf8').toString('base64');
const newUser = (org: Org, name = 'ada'): IdpUser => ({ email: `${name}.${randomUUID().slice(0, 6)}@${org.domain}`, displayName: 'Ada Lovelace' });

function assertionOf(xml: string): string {
  const start = xml.indexOf('<saml:Assertion');
  const end = xml.indexOf('</saml:Assertion>') + '</saml:Assertion>'.length;
  return xml.slice(start, end);
}

/** An attacker's own assertion: the signed one with its signature removed, a new ID and another subject. */
function forgedFrom(signedAssertion: string, victimEmail: string): string {
  return signedAssertion
    .replace(/<Signature [\s\S]*<\/Signature>/, '')
    .replace(/ ID="[^"]+"/, ` ID="_forged${randomUUID().replace(/-/g, '')}"`)
    .replace(/(<saml:NameID[^>]*>)[^<]*(<\/saml:NameID>)/, `$1${victimEmail}$2`);
}

async function xmlsecVerifies(xml: string, certFile: string): Promise<boolean> {
  const dir = mkdtempSync(join(tmpdir(), 'saml-response-'));
  const file = join(dir, 'response.xml');
  writeFileSync(file, xml);
  try {
    await run('xmlsec1', ['--verify', '--pubkey-cert-pem', certFile, '--id-attr:ID', 'urn:oasis:names:tc:SAML:2.0:assertion:Assertion', file]);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  dns = await startDnsServer();
  idp = await startSamlIdp();
  suite = await startSuite({
    postgresAdminUrl: inject('postgresAdminUrl'),
    redisUrl: inject('redisUrl'),
    env: {
      organizations: { DNS_SERVERS: dns.address },
      // Every connection change is seen at once (the cache's effect is a separate test).
      auth: { SAML_CONNECTION_CACHE_TTL_MS: '0', SAML_CLOCK_SKEW_SECONDS: String(SKEW_SECONDS), RATE_LIMITS_ENABLED: 'false' },
    },
  });
  authDb = createDatabase({ url: suite.databaseUrls.auth!, schema: {}, applicationName: 'saml-test' });
});

afterAll(async () => {
  await authDb?.close();
  await suite?.stop();
  await idp?.close();
  dns?.close();
});

describe('SAML sign-in with a real identity provider', () => {
  it('a good response signs in: 303 to return_to, a session that works at /graphql and records the organization and connection; xmlsec1 verifies the signature', async () => {
    const org = await organizationWithSaml(idp);
    expect(org.acsUrl).toBe(`http://localhost:3008/auth/saml/${org.id}/acs`);
    expect(org.metadataUrl).toBe(`http://localhost:3008/auth/saml/${org.id}/metadata`);
    const user = newUser(org);
    const { SAMLResponse } = await responseFromIdp(org, user, {}, 'http://localhost:3000/dashboard');

    // Independently of our code: libxmlsec checks the IdP's signature with its certificate, and not with another.
    expect(await xmlsecVerifies(decode(SAMLResponse), idp.keys.certFile)).toBe(true);
    expect(await xmlsecVerifies(decode(SAMLResponse), makeKeyPair('other').certFile)).toBe(false);

    const signedIn = await postToAcs(org.id, SAMLResponse);
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('location')).toBe('http://localhost:3000/dashboard');
    const cookie = sessionCookieOf(signedIn.headers);
    expect(cookie).toBeTruthy();

    const me = await suite.graphql<{ me: { id: string; email: string } }>('{ me { id email } }', { cookie: cookie! });
    expect(me.errors).toBeUndefined();
    expect(me.data!.me.email).toBe(user.email);

    const { rows } = await authDb.pool.query('select sso_organization_id, sso_connection_id, amr from sessions where user_id = $1', [me.data!.me.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0].sso_organization_id).toBe(org.id);
    expect(rows[0].sso_connection_id).toEqual(expect.any(String));

    // JIT membership: organizations hears of the sign-in through auth's outbox.
    await waitFor(
      async () => {
        const { organization } = await gql<{ organization: { members: { user: { id: string } }[] } | null }>(
          org.ownerToken,
          'query($s: String!) { organization(slug: $s) { members { user { id } } } }',
          { s: org.domain.replace(/\.test$/, '') },
        );
        return organization?.members.some((member) => member.user.id === me.data!.me.id);
      },
      { what: 'the SAML user to become a member' },
    );
  });

  it('the same response posted twice is refused the second time (replay)', async () => {
    const org = await organizationWithSaml(idp);
    const { SAMLResponse } = await responseFromIdp(org, newUser(org));
    expect((await postToAcs(org.id, SAMLResponse)).status).toBe(200);
    const replay = await postToAcs(org.id, SAMLResponse);
    expect(replay.status).toBe(401);
    expect(replay.body).toMatchObject({ code: 'saml:replayed' });
    expect(sessionCookieOf(replay.headers)).toBeNull();
  });

  it('a tampered subject (NameID changed after signing) is refused', async () => {
    const org = await organizationWithSaml(idp);
    const user = newUser(org);
    const { SAMLResponse } = await responseFromIdp(org, user);
    const tampered = decode(SAMLResponse).replaceAll(user.email, `ceo@${org.domain}`);
    const answer = await postToAcs(org.id, encode(tampered));
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ code: 'saml:signature_invalid' });
  });

  it('a tampered attribute (the display name changed after signing) is refused', async () => {
    const org = await organizationWithSaml(idp);
    const { SAMLResponse } = await responseFromIdp(org, newUser(org));
    const tampered = decode(SAMLResponse).replace('>Ada Lovelace<', '>Mallory<');
    expect(tampered).not.toBe(decode(SAMLResponse));
    const answer = await postToAcs(org.id, encode(tampered));
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ code: 'saml:signature_invalid' });
  });

  describe('signature wrapping: the signed assertion stays valid, a forged one is what a naive reader sees', () => {
    const wrapped = {
      'a forged assertion before the signed one': (xml: string, forged: string, signed: string) => xml.replace(signed, forged + signed),
      'a forged assertion wrapping the signed one': (xml: string, forged: string, signed: string) =>
        xml.replace(signed, forged.replace('</saml:Assertion>', `<saml:Advice>${signed}</saml:Advice></saml:Assertion>`)),
      'the signed assertion hidden in Extensions, a forged one in its place': (xml: string, forged: string, signed: string) =>
        xml.replace(signed, forged).replace('<samlp:Status>', `<samlp:Extensions>${signed}</samlp:Extensions><samlp:Status>`),
    };
    for (const [name, wrap] of Object.entries(wrapped)) {
      it(`${name}: refused`, async () => {
        const org = await organizationWithSaml(idp);
        const { SAMLResponse } = await responseFromIdp(org, newUser(org, 'intern'));
        const xml = decode(SAMLResponse);
        const signed = assertionOf(xml);
        const attack = wrap(xml, forgedFrom(signed, `ceo@${org.domain}`), signed);
        expect(attack).toContain(`ceo@${org.domain}`);
        // The signature itself still verifies: only the structure gives the attack away.
        expect(await xmlsecVerifies(attack, idp.keys.certFile)).toBe(true);
        const answer = await postToAcs(org.id, encode(attack));
        expect(answer.status).toBe(400);
        expect(answer.body).toMatchObject({ code: 'saml:structure_refused' });
        expect(sessionCookieOf(answer.headers)).toBeNull();
      });
    }
  });

  it('a comment inside NameID (signature still valid once comments are canonicalised away) is refused', async () => {
    const org = await organizationWithSaml(idp);
    const user = { email: `ceo@${org.domain}.attacker.test` };
    const { SAMLResponse } = await responseFromIdp(org, user);
    const attack = decode(SAMLResponse).replace(`>ceo@${org.domain}.attacker.test<`, `>ceo@${org.domain}<!---->.attacker.test<`);
    expect(await xmlsecVerifies(attack, idp.keys.certFile)).toBe(true);
    const answer = await postToAcs(org.id, encode(attack));
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'saml:structure_refused' });
  });

  it('an injected EncryptedAssertion is refused', async () => {
    const org = await organizationWithSaml(idp);
    const { SAMLResponse } = await responseFromIdp(org, newUser(org));
    const xml = decode(SAMLResponse);
    const attack = xml.replace('</samlp:Response>', '<saml:EncryptedAssertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#"/></saml:EncryptedAssertion></samlp:Response>');
    const answer = await postToAcs(org.id, encode(attack));
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'saml:structure_refused' });
  });

  it('an assertion for another audience is refused', async () => {
    const org = await organizationWithSaml(idp);
    const { SAMLResponse } = await responseFromIdp(org, newUser(org), { audience: 'https://other-sp.example/metadata' });
    const answer = await postToAcs(org.id, SAMLResponse);
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ code: 'saml:audience_mismatch' });
  });

  it("a response signed with a key that is not the connection's is refused", async () => {
    const org = await organizationWithSaml(idp);
    const intruder = makeKeyPair('test-idp');
    const { SAMLResponse } = await responseFromIdp(org, newUser(org), { key: intruder.key, cert: intruder.cert });
    const answer = await postToAcs(org.id, SAMLResponse);
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ code: 'saml:signature_invalid' });
  });

  it('NotOnOrAfter: expired beyond the clock skew is refused; expired within it is accepted', async () => {
    const org = await organizationWithSaml(idp);
    const expired = await responseFromIdp(org, newUser(org), { lifetimeInSeconds: -(SKEW_SECONDS + 60) });
    const refused = await postToAcs(org.id, expired.SAMLResponse);
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ code: 'saml:assertion_expired' });

    const withinSkew = await responseFromIdp(org, newUser(org), { lifetimeInSeconds: -(SKEW_SECONDS - 60) });
    expect((await postToAcs(org.id, withinSkew.SAMLResponse)).status).toBe(200);
  });

  it("organization A's assertion posted to organization B's ACS is refused, even when both trust the same IdP", async () => {
    const orgA = await organizationWithSaml(idp);
    const orgB = await organizationWithSaml(idp);
    const { SAMLResponse } = await responseFromIdp(orgA, newUser(orgA));
    const crossed = await postToAcs(orgB.id, SAMLResponse);
    expect(crossed.status).toBe(401);
    expect(crossed.body).toMatchObject({ code: 'saml:audience_mismatch' });
    // ...and it was not spent by the refusal: A's own ACS still takes it.
    expect((await postToAcs(orgA.id, SAMLResponse)).status).toBe(200);

    // With another IdP behind B, A's IdP's signature is not B's.
    const otherIdp = await startSamlIdp();
    try {
      const orgC = await organizationWithSaml(otherIdp);
      const fromA = await responseFromIdp(orgA, newUser(orgA));
      const answer = await postToAcs(orgC.id, fromA.SAMLResponse);
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ code: 'saml:signature_invalid' });
    } finally {
      await otherIdp.close();
    }
  });

  it('certificate rollover: while two are trusted both sign in; once the old one is removed it is refused', async () => {
    const org = await organizationWithSaml(idp);
    const next = makeKeyPair('test-idp-next');
    const withNext = { key: next.key, cert: next.cert };
    expect((await postToAcs(org.id, (await responseFromIdp(org, newUser(org), withNext)).SAMLResponse)).body).toMatchObject({ code: 'saml:signature_invalid' });

    await gql(org.ownerToken, 'mutation($o: ID!, $c: String!) { addSamlCertificate(organizationId: $o, certificate: $c) { id } }', { o: org.id, c: next.cert });
    expect((await postToAcs(org.id, (await responseFromIdp(org, newUser(org), withNext)).SAMLResponse)).status).toBe(200);
    expect((await postToAcs(org.id, (await responseFromIdp(org, newUser(org))).SAMLResponse)).status).toBe(200);

    await gql(org.ownerToken, 'mutation($o: ID!, $f: String!) { removeSamlCertificate(organizationId: $o, fingerprint: $f) { id } }', {
      o: org.id,
      f: new X509Certificate(idp.keys.cert).fingerprint256,
    });
    expect((await postToAcs(org.id, (await responseFromIdp(org, newUser(org))).SAMLResponse)).body).toMatchObject({ code: 'saml:signature_invalid' });
    expect((await postToAcs(org.id, (await responseFromIdp(org, newUser(org), withNext)).SAMLResponse)).status).toBe(200);
  });

  it('InResponseTo must name a pending request; unsolicited responses only where the organization allows them', async () => {
    const closed = await organizationWithSaml(idp);
    const unsolicited = await idp.unsolicited(newUser(closed), closed.acsUrl, closed.spEntityId);
    const refused = await postToAcs(closed.id, unsolicited);
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ code: 'saml:unsolicited_response' });

    const invented = await idp.unsolicited(newUser(closed), closed.acsUrl, closed.spEntityId, { inResponseTo: '_never-asked' });
    expect((await postToAcs(closed.id, invented)).body).toMatchObject({ code: 'saml:unknown_request' });

    const open = await organizationWithSaml(idp, { allowIdpInitiated: true });
    const accepted = await postToAcs(open.id, await idp.unsolicited(newUser(open), open.acsUrl, open.spEntityId), 'http://localhost:3000/home');
    expect(accepted.status).toBe(303);
    expect(accepted.headers.get('location')).toBe('http://localhost:3000/home');
  });
});

describe('the one sign-in completion path', () => {
  it('with TOTP enrolled, the ACS hands an MFA challenge to return_to; answering it opens a session that still records the organization', async () => {
    const org = await organizationWithSaml(idp);
    const user = newUser(org);
    const first = await postToAcs(org.id, (await responseFromIdp(org, user)).SAMLResponse);
    const api = httpClient(suite.urls.auth!);
    const { app } = await enrollTotp(api, bearer(sessionCookieOf(first.headers)!), systemClock);

    const challenged = await postToAcs(org.id, (await responseFromIdp(org, user, {}, 'http://localhost:3000/after')).SAMLResponse);
    expect(challenged.status).toBe(303);
    expect(sessionCookieOf(challenged.headers)).toBeNull();
    const fragment = new URLSearchParams(new URL(challenged.headers.get('location')!).hash.slice(1));
    expect(fragment.get('mfa_methods')).toContain('totp');

    // The next period's code: confirming the enrolment spent this one (TOTP replay protection).
    const verified = await api.post('/auth/mfa/verify', { mfa_token: fragment.get('mfa_token'), code: app.code(1) });
    expect(verified.status).toBe(200);
    const token = String(verified.body.session_token);
    const { rows } = await authDb.pool.query('select s.sso_organization_id, s.amr from sessions s where s.user_id = (select id from identities where email = $1) order by s.created_at desc limit 1', [user.email]);
    expect(rows[0].sso_organization_id).toBe(org.id);
    expect(rows[0].amr).toEqual(['saml', 'mfa', 'otp']);
    expect((await suite.graphql<{ me: { email: string } }>('{ me { email } }', { token })).data!.me.email).toBe(user.email);
  });
});

describe('accounts and linking', () => {
  it('an existing account is linked only when the organization verified its domain', async () => {
    const org = await organizationWithSaml(idp);
    const existingEmail = `existing.${randomUUID().slice(0, 6)}@${org.domain}`;
    const existing = await existingAccount(existingEmail);
    const { SAMLResponse } = await responseFromIdp(org, { email: existingEmail });
    const linked = await postToAcs(org.id, SAMLResponse);
    expect(linked.status).toBe(200);
    const me = await suite.graphql<{ me: { id: string } }>('{ me { id } }', { cookie: sessionCookieOf(linked.headers)! });
    expect(me.data!.me.id).toBe(existing);

    // An address of a domain the organization never proved: its IdP's word is not enough.
    const outsider = `someone.${randomUUID().slice(0, 6)}@gmail.test`;
    await existingAccount(outsider);
    const claimed = await responseFromIdp(org, { email: outsider });
    const refused = await postToAcs(org.id, claimed.SAMLResponse);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'saml:email_domain_not_verified' });
  });
});

describe('SP metadata, login start and discovery', () => {
  it('the metadata validates against the SAML 2.0 metadata schema (xmllint), and a broken document does not', async () => {
    const org = await organizationWithSaml(idp);
    const response = await fetch(authUrl(`/auth/saml/${org.id}/metadata`));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/samlmetadata+xml');
    const xml = await response.text();
    expect(xml).toContain(`entityID="${org.spEntityId}"`);
    expect(xml).toContain(`Location="${org.acsUrl}"`);
    process.env.XML_CATALOG_FILES = join(SCHEMAS, 'catalog.xml');
    const valid = await xmllint(xml, join(SCHEMAS, 'saml-schema-metadata-2.0.xsd'));
    expect(valid.output).toContain('validates');
    expect(valid.ok).toBe(true);
    const broken = await xmllint(xml.replace(/ Binding="[^"]+"/, ''), join(SCHEMAS, 'saml-schema-metadata-2.0.xsd'));
    expect(broken.ok).toBe(false);
  });

  it('refuses a return_to outside the allow-list and an organization without a connection', async () => {
    const org = await organizationWithSaml(idp);
    const evil = await fetch(authUrl(`/auth/saml/${org.id}/login?return_to=${encodeURIComponent('https://evil.example/')}`), { redirect: 'manual' });
    expect(evil.status).toBe(400);
    expect(await evil.json()).toMatchObject({ code: 'auth:return_to_not_allowed' });
    const none = await fetch(authUrl(`/auth/saml/${randomUUID()}/login`), { redirect: 'manual' });
    expect(none.status).toBe(404);
    expect(await none.json()).toMatchObject({ code: 'saml:connection_not_found' });
    expect((await postToAcs(randomUUID(), encode('<x/>'))).status).toBe(404);
    expect((await fetch(authUrl('/auth/saml/not-a-uuid/metadata'))).status).toBe(400);
  });

  it('home-realm discovery answers the login URL for a verified domain with SAML, 404 otherwise', async () => {
    const org = await organizationWithSaml(idp);
    const found = await fetch(authUrl(`/auth/saml/discover?email=${encodeURIComponent(`anyone@${org.domain}`)}`));
    expect(found.status).toBe(200);
    expect(await found.json()).toEqual({ organization_id: org.id, login_url: org.loginUrl });
    const unknown = await fetch(authUrl(`/auth/saml/discover?email=${encodeURIComponent('anyone@unclaimed.test')}`));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'saml:no_connection_for_email' });
  });

  it('"sign in with your company": a work-email page, then the organization\'s IdP, return_to kept', async () => {
    const org = await organizationWithSaml(idp);
    const companyPage = await (await fetch(authUrl('/auth/saml/company?return_to=http%3A%2F%2Flocalhost%3A3000%2Fapp'))).text();
    expect(companyPage).toContain('action="/auth/saml/company/continue"');
    expect(companyPage).toContain('name="return_to" value="http://localhost:3000/app"');

    const next = await fetch(authUrl(`/auth/saml/company/continue?email=${encodeURIComponent(`ada@${org.domain}`)}&return_to=${encodeURIComponent('http://localhost:3000/app')}`), { redirect: 'manual' });
    expect(next.status).toBe(302);
    expect(next.headers.get('location')).toBe(`/auth/saml/${org.id}/login?return_to=${encodeURIComponent('http://localhost:3000/app')}`);
    const toIdp = await fetch(authUrl(next.headers.get('location')!), { redirect: 'manual' });
    expect(toIdp.headers.get('location')!.startsWith(`${idp.ssoUrl}?SAMLRequest=`)).toBe(true);

    expect((await fetch(authUrl(`/auth/saml/company/continue?email=${encodeURIComponent('ada@unclaimed.test')}`), { redirect: 'manual' })).status).toBe(404);
    expect((await fetch(authUrl(`/auth/saml/company/continue?email=${encodeURIComponent(`ada@${org.domain}`)}&return_to=${encodeURIComponent('https://evil.example/')}`), { redirect: 'manual' })).status).toBe(400);
  });

  it('a deleted connection stops signing in', async () => {
    const org = await organizationWithSaml(idp);
    const { SAMLResponse } = await responseFromIdp(org, newUser(org));
    await gql(org.ownerToken, 'mutation($o: ID!) { deleteSamlConnection(organizationId: $o) }', { o: org.id });
    const answer = await postToAcs(org.id, SAMLResponse);
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ code: 'saml:connection_not_found' });
  });
});
