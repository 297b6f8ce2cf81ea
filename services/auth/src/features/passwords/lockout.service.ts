import { createHash } from 'node:crypto';
import type { CredentialRepository, FailureKeys, FailureState } from './credential.repository';
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
  /** The same question as SQL, for a sign-in that reads it with the rest of its state. */
  knownClientExpression: (email: string, client: string | null) => FailureKeys['knownClient'];
}) {
  const counterKey = (email: string, client: string | null) =>
    createHash('sha256').update(client !== null ? `password-failures:${email}|${clientKeyOf(client)}` : `password-failures:${email}`).digest('hex');

  /** The counter a request's failures go to: the client's own when it is known to the address. */
  async function bucketOf(email: string, client: string | null): Promise<string> {
    const known = client !== null && (await deps.isKnownClient(email, client));
    return counterKey(email, known ? client : null);
  }

  function assertOpen(state: FailureState | null): void {
    const now = deps.clock.now().getTime();
    if (state?.lockedUntil && state.lockedUntil.getTime() > now) {
      throw passwordErrors.locked((state.lockedUntil.getTime() - now) / 1000);
    }
  }

  async function recordFailureOn(bucket: string, context: { userId: string | null; ip: string | null; userAgent: string | null }): Promise<void> {
    const state = await deps.credentials.recordFailure(bucket, deps.clock.now(), {
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
  }

  return {
    async assertNotLocked(email: string, client: string | null): Promise<void> {
      assertOpen(await deps.credentials.findFailures(await bucketOf(email, client)));
    },

    async recordFailure(email: string, context: { userId: string | null; ip: string | null; userAgent: string | null }): Promise<void> {
      await recordFailureOn(await bucketOf(email, context.ip), context);
    },

    /** A success from `client` clears its counter; `null` (a password reset) clears the strangers' one. */
    async clear(email: string, client: string | null): Promise<void> {
      await deps.credentials.clearFailures(await bucketOf(email, client));
    },

    /**
     * For a sign-in that reads its lockout state with the account in one query
     * (`findSignInState`): both counters the request may count on, and which one applies.
     */
    keysFor: (email: string, client: string | null): FailureKeys => ({
      strangers: counterKey(email, null),
      ownClient: client !== null ? counterKey(email, client) : null,
      knownClient: deps.knownClientExpression(email, client),
    }),

    /**
     * The counter this attempt counts on (its own for a known client) after checking that it is
     * not paused (`locked` otherwise); the same rule as `assertNotLocked`, on state already read.
     */
    openCounter(keys: FailureKeys, state: { knownClient: boolean; strangers: FailureState | null; ownClient: FailureState | null }): string {
      const own = state.knownClient && keys.ownClient !== null;
      assertOpen(own ? state.ownClient : state.strangers);
      return own ? keys.ownClient! : keys.strangers;
    },

    recordFailureOn,

    /** The delete that clears a counter after a success, for the sign-in's one statement. */
    clearWrite: (bucket: string) => deps.credentials.clearFailuresWrite(bucket),
  };
}

export type LockoutService = ReturnType<typeof createLockoutService>;
