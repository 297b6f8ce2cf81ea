import type { SingleSignOnOrigin } from '../sessions/session.repository';

/**
 * The seam between first factors and MFA. `completeSignIn` asks the gate after every first
 * factor: when the user has a confirmed second factor it answers a challenge instead of a
 * session. The MFA feature provides the gate; without one, first factors sign in directly.
 */
export interface MfaChallenge {
  mfaToken: string;
  /** Factors the user can answer with: `totp`, `sms`, `backup_code`. */
  methods: string[];
}

/**
 * Whether an account may sign in at all, asked by `completeSignIn` before and after it opens a
 * session (the provisioning feature: an identity its organization's identity provider has
 * deactivated or deleted may not). Asking again after opening closes the race with a
 * deactivation that lands meanwhile: its revocation sweep sees the new session, or this check
 * sees the deactivation.
 */
export interface SignInGuard {
  isRefused(userId: string): Promise<boolean>;
}

export interface MfaGate {
  /** `sso` travels with the challenge, so the session its answer opens records where it came from. */
  beginIfRequired(input: { userId: string; firstFactor: string; sso?: SingleSignOnOrigin; ip: string | null; userAgent: string | null }): Promise<MfaChallenge | null>;
  /**
   * Ends the user's sign-ins that wait on a second factor (their challenges can no longer be
   * answered): signing out everywhere covers sign-ins half done. Returns how many ended.
   */
  abandonPending(userId: string): Promise<number>;
}
