import { createHash } from 'node:crypto';
import type { CredentialRepository } from './credential.repository';
import { passwordErrors } from './password.errors';
import type { AuditLog } from '../../core/audit/audit-log';
import type { Clock } from '../../core/clock';
import { clientKeyOf } from '../../core/rate-limit/rate-limit.policies';

export interface LockoutPolicy {
  /** Failures before the first pause. */
  threshold: number;
  /** The first pause; each further failure doubles it. */
  baseSeconds: number;
  /** The longest pause: an attacker can slow a victim's password sign-in, never stop it for good. */
  maxSeconds: number;
}

/**
 * Password lockout with exponential cooldown, per email address. It pauses password attempts
 * only: email codes, magic links and passkeys keep working for the real owner, and a password
 * reset ends the pause. Unknown emails are counted exactly like known ones, so the lockout
 * answer reveals nothing about which accounts exist. Attempts during a pause are refused
 * without being counted, so hammering a locked account does not extend the pause.
 *
 * Failures are counted per address for strangers, and per address and client for a client
 * that signed in to the address recently (OWASP's device-cookie lockout, keyed by client
 * address): strangers guessing from anywhere lock only the strangers out, never the owner's own
 * client, which has its own counter and its own pause.
 */
export function createLockoutService(deps: {
  credentials: CredentialRepository;
  audit: AuditLog;
  clock: Clock;
  policy: LockoutPolicy;
  isKnownClient: (email: string, client: string | null) => Promise<boolean>;
}) {
  /** The counter a request's failures go to: the client's own when it is known to the address. */
  async function bucketOf(email: string, client: string | null): Promise<string> {
    const known = client !== null && (await deps.isKnownClient(email, client));
    return createHash('sha256').update(known ? `password-failures:${email}|${clientKeyOf(client)}` : `password-failures:${email}`).digest('hex');
  }

  return {
    async assertNotLocked(email: string, client: string | null): Promise<void> {
      const state = await deps.credentials.findFailures(await bucketOf(email, client));
      const now = deps.clock.now().getTime();
      if (state?.lockedUntil && state.lockedUntil.getTime() > now) {
        throw passwordErrors.locked((state.lockedUntil.getTime() - now) / 1000);
      }
    },

    async recordFailure(email: string, context: { userId: string | null; ip: string | null; userAgent: string | null }): Promise<void> {
      const state = await deps.credentials.recordFailure(await bucketOf(email, context.ip), deps.clock.now(), {
        ...deps.policy,
        // A day without failures forgets the history, so old typos never add up to a lock.
        forgetAfterSeconds: 86_400,
      });
      if (state.lockStarted && state.lockedUntil) {
        await deps.audit.record({
          type: 'lockout',
          outcome: 'failure',
          userId: context.userId,
          method: 'pwd',
          ip: context.ip,
          userAgent: context.userAgent,
          details: { failures: state.failures, locked_until: state.lockedUntil.toISOString() },
        });
      }
    },

    /** A success from `client` clears its counter; `null` (a password reset) clears the strangers' one. */
    async clear(email: string, client: string | null): Promise<void> {
      await deps.credentials.clearFailures(await bucketOf(email, client));
    },
  };
}

export type LockoutService = ReturnType<typeof createLockoutService>;
