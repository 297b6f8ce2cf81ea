import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOAuthProviderStandIn, STAND_IN_PROVIDERS, type OAuthProviderStandIn } from '@malet/testing';
import { appClientId, authorizeAtProvider, returnToAuth } from '../../services/auth/src/features/social/social.fixtures';
import { startGatewayTestInstance, type GatewayTestInstance } from './gateway-test-instance';

let standIn: OAuthProviderStandIn;
let suite: GatewayTestInstance;
beforeAll(async () => {
  standIn = await startOAuthProviderStandIn();
  suite = await startGatewayTestInstance({ env: { auth: standIn.authEnv() } });
}, 180_000);
afterAll(async () => {
  await suite?.stop();
  await standIn?.stop();
});

/** `me` with the profile fields the users service adds (its username comes from the provider where free). */
const ME = '{ me { id email emailVerified username displayName } }';

/** Waits until the users service has the profile (it follows auth's outbox). */
async function meOnceProfiled(credential: { cookie?: string; token?: string }) {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const result = await suite.graphql<{ me: Record<string, unknown> }>(ME, credential);
    if (result.data?.me?.username) return result;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the profile never arrived');
}

describe('social sign-in through the gateway, the session then used at /graphql', () => {
  it.each(STAND_IN_PROVIDERS)('%s: the browser flow through the gateway ends with a session cookie that /graphql accepts', async (provider) => {
    const handle = `gw_${provider}`;
    standIn.addUser(provider, { email: `gateway.${provider}@example.com`, username: handle, name: `Gateway ${provider}` });
    // The browser starts at the gateway, which proxies /auth/* to auth; the provider sends it back there.
    const step = await authorizeAtProvider(suite.gatewayUrl, provider, { loginHint: handle });
    const response = await returnToAuth(suite.gatewayUrl, step, {
      formPost: provider === 'apple',
      ...(provider === 'apple' ? { appleUser: { name: { firstName: 'Gateway', lastName: 'apple' } } } : {}),
    });
    expect(response.status).toBe(200);
    const session = step.jar.get('session_token');
    expect(session).toMatch(/^sess_/);

    const result = await meOnceProfiled({ cookie: session! });
    expect(result.errors).toBeUndefined();
    expect(result.data?.me).toMatchObject({ email: `gateway.${provider}@example.com`, displayName: `Gateway ${provider}` });
    // GitHub and X have handles; the others take the email's local part, as every sign-up does.
    expect(result.data?.me.username).toBe(provider === 'github' || provider === 'twitter' ? handle : `gateway_${provider}`);
  });

  it('a mobile token exchange through the gateway gives a Bearer token that /graphql accepts', async () => {
    const user = standIn.addUser('google', { email: 'gateway.mobile@example.com' });
    const { accessToken } = await standIn.issueTokens('google', { user, clientId: appClientId('google') });
    const answer = await fetch(`${suite.gatewayUrl}/auth/mobile/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'google', access_token: accessToken }),
    });
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { session_token: string; expires_in: number };
    expect(body.expires_in).toBe(900);
    const result = await suite.graphql<{ me: { email: string } }>('{ me { email } }', { token: body.session_token });
    expect(result.data?.me.email).toBe('gateway.mobile@example.com');
  });
});
