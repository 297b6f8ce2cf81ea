import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import samlp from 'samlp';
import { beforeAll, describe, expect, it } from 'vitest';
import { inspectSamlResponse, SamlShapeError } from './saml-response.inspector';

/** Real responses from samlp (auth0's IdP), reshaped the way attacks do. */
let keys: { key: string; cert: string };

function response(options: { signatureAlgorithm?: 'rsa-sha1' | 'rsa-sha256'; digestAlgorithm?: 'sha1' | 'sha256'; signResponse?: boolean } = {}): Promise<string> {
  const user = { id: 'ada@acme.test', emails: [{ value: 'ada@acme.test' }], displayName: 'Ada', name: {} };
  return new Promise((resolve, reject) =>
    samlp.getSamlResponse(
      { issuer: 'https://idp.test', cert: keys.cert, key: keys.key, audience: 'https://sp.test/metadata', recipient: 'https://sp.test/acs', destination: 'https://sp.test/acs', signatureAlgorithm: 'rsa-sha256', digestAlgorithm: 'sha256', ...options } as never,
      user,
      (error, xml) => (error ? reject(error) : resolve(xml!)),
    ),
  );
}

function refusal(xml: string): { kind: string; message: string } | null {
  try {
    inspectSamlResponse(xml);
    return null;
  } catch (error) {
    if (!(error instanceof SamlShapeError)) throw error;
    return { kind: error.kind, message: error.message };
  }
}

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'inspector-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '1', '-subj', '/CN=idp', '-keyout', join(dir, 'k'), '-out', join(dir, 'c')], { stdio: 'ignore' });
  keys = { key: readFileSync(join(dir, 'k'), 'utf8'), cert: readFileSync(join(dir, 'c'), 'utf8') };
});

describe('the SAML response inspector', () => {
  it('reads a signed response: its one assertion, subject, audience, recipient and attributes', async () => {
    const shape = inspectSamlResponse(await response());
    expect(shape).toMatchObject({ issuer: 'https://idp.test', nameId: 'ada@acme.test', destination: 'https://sp.test/acs', audienceRestrictions: [['https://sp.test/metadata']] });
    expect(shape.confirmations).toEqual([expect.objectContaining({ recipient: 'https://sp.test/acs' })]);
    expect(shape.embeddedCertificates).toHaveLength(1);
    // Signed twice (response and assertion) is accepted too.
    expect(refusal(await response({ signResponse: true }))).toBeNull();
  });

  it('refuses SHA-1 signatures and digests', async () => {
    expect(refusal(await response({ signatureAlgorithm: 'rsa-sha1', digestAlgorithm: 'sha256' }))).toMatchObject({ kind: 'structure', message: expect.stringContaining('signature method') });
    expect(refusal(await response({ signatureAlgorithm: 'rsa-sha256', digestAlgorithm: 'sha1' }))).toMatchObject({ kind: 'structure', message: expect.stringContaining('digest') });
  });

  it('refuses a signature that references another element than its parent, and IDs used twice', async () => {
    const xml = await response();
    const assertionId = /<saml:Assertion[^>]* ID="([^"]+)"/.exec(xml)![1]!;
    expect(refusal(xml.replace(`URI="#${assertionId}"`, 'URI="#elsewhere"'))).toMatchObject({ kind: 'structure' });
    const responseId = /<samlp:Response[^>]* ID="([^"]+)"/.exec(xml)![1]!;
    expect(refusal(xml.replace(`ID="${responseId}"`, `ID="${assertionId}"`))).toMatchObject({ kind: 'structure', message: expect.stringContaining('twice') });
  });

  it('refuses an unsigned response, a DTD, a processing instruction and documents that are not a samlp:Response', async () => {
    const xml = await response();
    expect(refusal(xml.replace(/<Signature [\s\S]*<\/Signature>/, ''))).toMatchObject({ kind: 'structure', message: expect.stringContaining('signed') });
    expect(refusal(`<!DOCTYPE r [<!ENTITY e "x">]>${xml}`)).toMatchObject({ kind: 'malformed' });
    expect(refusal(xml.replace('<saml:Subject>', '<saml:Subject><?pi x?>'))).toMatchObject({ kind: 'malformed' });
    expect(refusal('<Response xmlns="urn:example"/>')).toMatchObject({ kind: 'malformed' });
    expect(refusal('<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"')).toMatchObject({ kind: 'malformed' });
  });

  it('refuses markup inside NameID (where a value is expected)', async () => {
    const xml = await response();
    expect(refusal(xml.replace('>ada@acme.test</saml:NameID>', '>ada@acme.test<b/></saml:NameID>'))).toMatchObject({ kind: 'structure' });
  });
});
