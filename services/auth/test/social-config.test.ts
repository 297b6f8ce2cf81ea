import { exportPKCS8, exportSPKI, generateKeyPair, importSPKI, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@malet/config';
import { startOAuthProviderStandIn, type OAuthProviderStandIn } from '@malet/testing';
import { loadAuthConfig } from '../src/config';
import { authorizeAtProvider, returnToAuth, signedInUser, startAuth, type AuthHarness } from './support';

let standIn: OAuthProviderStandIn;
let auth: AuthHarness;
let applePublicKey: string;
beforeAll(async () => {
  standIn = await startOAuthProviderStandIn();
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  applePublicKey = await exportSPKI(publicKey);
  const env = standIn.authEnv(['google', 'apple']);
  delete env.OAUTH_APPLE_CLIENT_SECRET;
  auth = await startAuth({
    env: {
      ...env,
      OAUTH_APPLE_TEAM_ID: 'TEAM123456',
      OAUTH_APPLE_KEY_ID: 'KEY1234567',
      // As a single-line variable, the way deployments carry it.
      OAUTH_APPLE_PRIVATE_KEY: (await exportPKCS8(privateKey)).replace(/\n/g, '\\n'),
      RATE_LIMITS_ENABLED: 'true',
    },
  });
});
afterAll(async () => {
  await auth?.stop();
  await standIn?.stop();
});

describe('which providers are on, and where they are', () => {
  it('offers only providers with a client id: the others answer 404 oauth:provider_not_configured everywhere', async () => {
    for (const [method, path, body] of [
      ['GET', '/auth/oauth/github', undefined],
      ['GET', '/auth/oauth/twitter/callback?code=a&state=b', undefined],
      ['POST', '/auth/mobile/token', { provider: 'facebook', access_token: 'token' }],
    ] as const) {
      const answer = await auth.api.request(method, path, body, { redirect: 'manual' });
      expect(answer, path).toMatchObject({ status: 404, body: { status: 404, code: 'oauth:provider_not_configured' } });
    }
    const { headers } = await signedInUser(auth, 'offered@example.com');
    expect((await auth.api.get('/auth/oauth/connections', headers)).body).toMatchObject({ available: ['google', 'apple'] });
  });

  it("signs Apple's client secret as an ES256 JWT from the team's key (iss team, sub the Services ID, aud Apple), and Apple's token endpoint receives it", async () => {
    let clientSecret: string | undefined;
    const capture = (_response: unknown, req: { body: Record<string, string> }) => {
      clientSecret = req.body.client_secret;
    };
    standIn.service('apple').on('beforeResponse', capture);
    try {
      const step = await authorizeAtProvider(auth.url, 'apple', { loginHint: 'apple.secret@example.com' });
      expect((await returnToAuth(auth.url, step, { formPost: true })).status).toBe(200);
    } finally {
      standIn.service('apple').off('beforeResponse', capture);
    }
    const { payload, protectedHeader } = await jwtVerify(clientSecret!, await importSPKI(applePublicKey, 'ES256'), {
      issuer: 'TEAM123456',
      subject: 'malet-apple',
      audience: 'https://appleid.apple.com',
    });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: 'KEY1234567' });
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(86_400);
  });

  it('refuses, naming the variable, plain-HTTP provider endpoints in production and a partial Apple key', () => {
    const attempt = (env: Record<string, string>) => {
      try {
        loadAuthConfig(env);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).problems;
      }
      throw new Error('the configuration was accepted');
    };
    const production = attempt({ NODE_ENV: 'production', OAUTH_GOOGLE_CLIENT_ID: 'id', OAUTH_GOOGLE_TOKEN_URL: 'http://provider.internal/token' });
    expect(production).toContain('OAUTH_GOOGLE_TOKEN_URL: must be an https URL in production');
    expect(production.join('\n')).not.toContain('provider.internal');
    expect(attempt({ OAUTH_APPLE_TEAM_ID: 'TEAM123456' })).toContain('OAUTH_APPLE_PRIVATE_KEY: OAUTH_APPLE_TEAM_ID, OAUTH_APPLE_KEY_ID and OAUTH_APPLE_PRIVATE_KEY go together');
    // Off production, a stand-in over plain HTTP is fine.
    expect(loadAuthConfig({ OAUTH_GOOGLE_CLIENT_ID: 'id', OAUTH_GOOGLE_TOKEN_URL: 'http://127.0.0.1:9/token' }).social.providers[0]!.endpoints.token).toBe('http://127.0.0.1:9/token');
  });
});

describe('rate limits of provider sign-ins', () => {
  it('20 per 10 s per client IP: the 20th is served, the 21st is 429 with Retry-After, and another IP is still served', async () => {
    const from = (ip: string) => auth.api.post('/auth/mobile/token', { provider: 'myspace', access_token: 'token' }, { 'x-forwarded-for': ip });
    for (let index = 1; index <= 20; index += 1) expect((await from('203.0.113.7')).status, `request ${index}`).toBe(404);
    const limited = await from('203.0.113.7');
    expect(limited).toMatchObject({ status: 429, body: { status: 429, code: 'rate_limit:exceeded' } });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await from('203.0.113.8')).status).toBe(404);
  });
});
