/**
 * Everything auth's tests share: the harness (`startAuth`), the HTTP client, a test clock and
 * fixtures. Feature-specific fixtures live in their feature folder (`*.fixtures.ts`) and are
 * re-exported here, so a test imports from one place.
 */
import type { AuthHarness } from './auth-harness';

export { productionEnv, startAuth, type AuthHarness, type AuthHarnessOptions } from './auth-harness';
export { startAuthForFile } from './auth-for-file';
export { httpClient, bearer, type HttpAnswer, type HttpClient } from './http-client';
export { createTestClock, type TestClock } from './clock';
export { authenticatorFrom, enrollTotp, firstFactorSucceeded, startMfaChallenge } from '../../src/features/mfa/mfa.fixtures';
export { STRONG, STRONGER, mailAfter, readVerification, registerUser, tokenFromMail } from '../../src/features/passwords/password.fixtures';
export { requestCode, wrongCodeFor } from '../../src/features/email-otp/email-otp.fixtures';
export { requestMagicLink } from '../../src/features/magic-link/magic-link.fixtures';
export { CookieJar, appClientId, authorizeAtProvider, returnToAuth, signInWithProvider, webClientId } from '../../src/features/social/social.fixtures';
export { createSoftwareAuthenticator, registerPasskey, startPasskeySignIn, type SoftwareAuthenticator } from '../../src/features/passkeys/passkey.fixtures';
export { listenForRevocations, type RevocationListener } from './revocations';
export { startProviderStandInForFile } from './provider-stand-in';

/** `POST /auth/dev/token` for an existing identity: its session token. */
export async function issueDevToken(auth: Pick<AuthHarness, 'api'>, email: string): Promise<string> {
  const { status, body } = await auth.api.post<{ session_token: string }>('/auth/dev/token', { email });
  if (status !== 200) throw new Error(`dev token answered ${status}`);
  return body.session_token;
}

/** A verified identity and a session for it (dev token), with its Bearer headers. */
export async function signedInUser(auth: Pick<AuthHarness, 'api' | 'identities'>, email: string) {
  const { identity } = await auth.identities.createWithEvent({ email, verified: true });
  const token = await issueDevToken(auth, email);
  return { user: { id: identity.id, email: identity.email }, token, headers: { authorization: `Bearer ${token}` } };
}

/** `POST /auth/login` with a password. */
export function login(auth: Pick<AuthHarness, 'api'>, email: string, password: string, headers: Record<string, string> = {}) {
  return auth.api.post('/auth/login', { email, password }, headers);
}

/** The auth process's count of argon2id operations of one kind, read from its /metrics. */
export async function argon2Operations(auth: Pick<AuthHarness, 'api'>, operation: 'hash' | 'verify'): Promise<number> {
  const { text } = await auth.api.get('/metrics');
  const line = text.split('\n').find((l) => l.startsWith('auth_password_hash_operations_total{') && l.includes(`operation="${operation}"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}
