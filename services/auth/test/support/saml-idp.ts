import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import samlp, { type SamlpOptions } from 'samlp';

export interface IdpUser {
  email: string;
  displayName?: string;
  /** The NameID the IdP asserts (the email unless given). */
  nameId?: string;
}

export interface KeyPair {
  key: string;
  cert: string;
  certFile: string;
}

const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

/** A throwaway RSA key and self-signed certificate (openssl), as an IdP administrator makes one. */
export function makeKeyPair(commonName: string): KeyPair {
  const dir = mkdtempSync(join(tmpdir(), 'saml-idp-'));
  const keyFile = join(dir, 'idp.key');
  const certFile = join(dir, 'idp.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2', '-subj', `/CN=${commonName}`, '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile };
}

/** What samlp puts in the assertion for a user: NameID (email format) and the usual claims. */
function profileMapper(user: IdpUser) {
  const claims = {
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress': user.email,
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name': user.displayName ?? 'Ada Lovelace',
  };
  return {
    getClaims: () => claims,
    getNameIdentifier: () => ({ nameIdentifier: user.nameId ?? user.email, nameIdentifierFormat: EMAIL_FORMAT }),
  };
}

/**
 * An independent identity provider: auth0's `samlp` on loopback, signing real responses with its
 * own key. `GET /sso?SAMLRequest=...` (where auth's login redirects) answers JSON instead of the
 * auto-posting form a browser would get: the ACS URL, the base64 SAMLResponse and the RelayState,
 * which the test then posts as the form would. Each answer is for `user`, with `overrides` of
 * samlp's options (another audience, key, lifetime) for the attack tests.
 */
export async function startSamlIdp(input: { entityId?: string; keys?: KeyPair } = {}) {
  const keys = input.keys ?? makeKeyPair('test-idp');
  const app = express();
  const state: { user: IdpUser; overrides: Partial<SamlpOptions> } = { user: { email: 'nobody@example.test' }, overrides: {} };
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const entityId = input.entityId ?? `${url}/metadata`;

  const base = (acs: string): SamlpOptions => ({
    issuer: entityId,
    cert: keys.cert,
    key: keys.key,
    destination: acs,
    recipient: acs,
    profileMapper: profileMapper as SamlpOptions['profileMapper'],
    getUserFromRequest: () => state.user,
    getPostURL: (_audience, _dom, _req, callback) => callback(null, acs),
  });

  app.get('/sso', (req, res, next) => {
    samlp.parseRequest(req, (error, request) => {
      if (error || !request?.assertionConsumerServiceURL) return res.status(400).json({ error: 'not an AuthnRequest' });
      const acs = request.assertionConsumerServiceURL;
      samlp.auth({
        ...base(acs),
        ...state.overrides,
        responseHandler: (response, options, request_, response_) => {
          response_.json({ acs: options.postUrl, SAMLResponse: response.toString('base64'), RelayState: request_.query.RelayState ?? '' });
        },
      })(req, res, next);
    });
  });

  return {
    url,
    entityId,
    ssoUrl: `${url}/sso`,
    keys,
    /** Who the next answers are for, and how they deviate from a correct one. */
    answerAs(user: IdpUser, overrides: Partial<SamlpOptions> = {}) {
      state.user = user;
      state.overrides = overrides;
    },
    /** An IdP-initiated (unsolicited) response, for `audience` at `acs`. */
    unsolicited(user: IdpUser, acs: string, audience: string, overrides: Partial<SamlpOptions> = {}): Promise<string> {
      return new Promise((resolve, reject) =>
        samlp.getSamlResponse({ ...base(acs), audience, ...overrides }, user, (error, response) => (error ? reject(error) : resolve(Buffer.from(response!).toString('base64')))),
      );
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type SamlIdp = Awaited<ReturnType<typeof startSamlIdp>>;
