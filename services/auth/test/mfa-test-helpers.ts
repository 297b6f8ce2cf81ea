import { expect } from 'vitest';
import { TOTP, URI } from 'otpauth';
import type { Clock } from '../src/core/clock';
import { issueDevToken, type AuthTestInstance } from './auth-test-instance';

/** Shared steps of the MFA tests: a JSON client, a signed-in user, an authenticator app. */

export interface JsonResponse {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

export function jsonClient(auth: { url: string }) {
  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonResponse> {
    const response = await fetch(`${auth.url}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      parsed = { raw: text };
    }
    return { status: response.status, body: parsed, headers: response.headers };
  }
  return {
    get: (path: string, headers?: Record<string, string>) => call('GET', path, undefined, headers),
    post: (path: string, body?: unknown, headers?: Record<string, string>) => call('POST', path, body, headers),
  };
}

/** A seeded identity and a session for it (dev token), as Bearer headers. */
export async function signedInUser(auth: AuthTestInstance, email: string) {
  const { identity } = await auth.identities.createWithEvent({ email, verified: true });
  const { status, body } = await issueDevToken(auth.url, email);
  expect(status).toBe(200);
  return { user: { id: identity.id, email: identity.email }, headers: { authorization: `Bearer ${body.session_token}` } };
}

/** The authenticator app: an independent otpauth TOTP built from the enrollment's URI. */
export function authenticatorFrom(uri: string, clock: Clock) {
  const totp = URI.parse(uri);
  if (!(totp instanceof TOTP)) throw new Error('expected a TOTP URI');
  return {
    totp,
    /** The code shown `steps` periods from the test clock's now. */
    code: (steps = 0) => totp.generate({ timestamp: clock.now().getTime() + steps * totp.period * 1000 }),
  };
}

/** Enrolls and confirms TOTP for a signed-in user; returns the app and the backup codes. */
export async function enrollTotp(auth: AuthTestInstance, headers: Record<string, string>, clock: Clock) {
  const api = jsonClient(auth);
  const enroll = await api.post('/auth/mfa/totp/enroll', undefined, headers);
  expect(enroll.status).toBe(200);
  const app = authenticatorFrom(String(enroll.body.otpauth_uri), clock);
  const confirm = await api.post('/auth/mfa/totp/confirm', { code: app.code() }, headers);
  expect(confirm.status).toBe(200);
  return { app, secret: String(enroll.body.secret), backupCodes: (confirm.body.backup_codes as string[] | undefined) ?? [] };
}

/** A first factor that succeeded: what email OTP, magic link or password login hand to MFA. */
export async function firstFactorSucceeded(auth: AuthTestInstance, user: { id: string; email: string }, method = 'email_otp') {
  return auth.completeSignIn({ user, method, meta: { ip: '127.0.0.1', userAgent: 'vitest' } });
}

/** The mfa_token of a first factor that must be followed by MFA. */
export async function startMfaChallenge(auth: AuthTestInstance, user: { id: string; email: string }, method = 'email_otp') {
  const result = await firstFactorSucceeded(auth, user, method);
  if (result.kind !== 'mfa_required') throw new Error('expected an MFA challenge');
  return result.challenge;
}
