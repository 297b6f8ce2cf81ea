/**
 * The seam between first factors and MFA. Every first factor (email OTP, magic link, password)
 * calls `beginIfRequired` after it succeeds: when the user has a confirmed second factor it
 * returns a challenge instead of a session. The MFA module provides the real implementation.
 */
export interface MfaChallenge {
  mfaToken: string;
  /** Factors the user can answer with: `totp`, `sms`, `backup_code`. */
  methods: string[];
}

export interface MfaGate {
  beginIfRequired(input: { userId: string; firstFactor: string; ip: string | null; userAgent: string | null }): Promise<MfaChallenge | null>;
}
