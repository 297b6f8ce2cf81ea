import { TOTP, URI } from 'otpauth';
import type { Clock } from '../../core/clock';
import type { CompleteSignIn } from '../../core/sign-in/complete-sign-in';

/**
 * Test fixtures of the MFA feature (used by the tests, never by the service): an independent
 * authenticator app, enrolment through the public API, and a challenge after a first factor.
 */

interface Api {
  post(path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }>;
}

/** The authenticator app: an independent otpauth TOTP built from the enrolment's URI. */
export function authenticatorFrom(uri: string, clock: Clock) {
  const totp = URI.parse(uri);
  if (!(totp instanceof TOTP)) throw new Error('expected a TOTP URI');
  return {
    totp,
    /** The code shown `steps` periods from the clock's now. */
    code: (steps = 0) => totp.generate({ timestamp: clock.now().getTime() + steps * totp.period * 1000 }),
  };
}

/** Enrols and confirms TOTP for a signed-in user; returns the app, the secret and the backup codes. */
export async function enrollTotp(api: Api, headers: Record<string, string>, clock: Clock) {
  const enroll = await api.post('/auth/mfa/totp/enroll', undefined, headers);
  if (enroll.status !== 200) throw new Error(`TOTP enroll answered ${enroll.status}`);
  const app = authenticatorFrom(String(enroll.body.otpauth_uri), clock);
  const confirm = await api.post('/auth/mfa/totp/confirm', { code: app.code() }, headers);
  if (confirm.status !== 200) throw new Error(`TOTP confirm answered ${confirm.status}`);
  return { app, secret: String(enroll.body.secret), backupCodes: (confirm.body.backup_codes as string[] | undefined) ?? [] };
}

/** What a first factor (email code, link, password) hands to the sign-in completion. */
export function firstFactorSucceeded(completeSignIn: CompleteSignIn, user: { id: string; email: string }, method = 'email_otp') {
  return completeSignIn({ user, method, meta: { ip: '127.0.0.1', userAgent: 'vitest' } });
}

/** The challenge of a first factor that must be followed by MFA. */
export async function startMfaChallenge(completeSignIn: CompleteSignIn, user: { id: string; email: string }, method = 'email_otp') {
  const result = await firstFactorSucceeded(completeSignIn, user, method);
  if (result.kind !== 'mfa_required') throw new Error('expected an MFA challenge');
  return result.challenge;
}
