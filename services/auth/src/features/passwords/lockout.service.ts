import { createHash } from 'node:crypto';
import type { CredentialRepository } from './credential.repository';
import { passwordErrors } from './password.errors';
import type { AuditLog } from '../../core/audit/audit-log';
import type { Clock } from '../../core/clock';

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
 */
export function createLockoutService(deps: { credentials: CredentialRepository; audit: AuditLog; clock: Clock; policy: LockoutPolicy }) {
  const keyOf = (email: string) => createHash('sha256').update(`password-failures:${email}`).digest('hex');

  return {
    async assertNotLocked(email: string): Promise<void> {
      const state = await deps.credentials.findFailures(keyOf(email));
      const now = deps.clock.now().getTime();
      if (state?.lockedUntil && state.lockedUntil.getTime() > now) {
        throw passwordErrors.locked((state.lockedUntil.getTime() - now) / 1000);
      }
    },

    async recordFailure(email: string, context: { userId: string | null; ip: string | null; userAgent: string | null }): Promise<void> {
      const state = await deps.credentials.recordFailure(keyOf(email), deps.clock.now(), {
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

    async clear(email: string): Promise<void> {
      await deps.credentials.clearFailures(keyOf(email));
    },
  };
}

export type LockoutService = ReturnType<typeof createLockoutService>;
