import type { AuditLog } from './audit';
import type { MfaGate, MfaChallenge } from './mfa-gate';
import type { IssuedSession, SessionService } from './session.service';

export interface SignInMeta {
  ip: string | null;
  userAgent: string | null;
}

export type SignInResult =
  | { kind: 'session'; session: IssuedSession; user: { id: string; email: string } }
  | { kind: 'mfa_required'; challenge: MfaChallenge };

/**
 * The one way a verified first factor becomes a session: MFA first when enrolled, then the
 * session, then the audit record. Every sign-in method ends here.
 */
export function createSignIn(deps: { sessions: SessionService; mfa: MfaGate; audit: AuditLog }) {
  return async function completeSignIn(input: {
    user: { id: string; email: string };
    method: string;
    meta: SignInMeta;
  }): Promise<SignInResult> {
    const challenge = await deps.mfa.beginIfRequired({ userId: input.user.id, firstFactor: input.method, ...input.meta });
    if (challenge) {
      await deps.audit.record({
        type: 'signin.mfa_challenge',
        outcome: 'success',
        userId: input.user.id,
        method: input.method,
        ...input.meta,
      });
      return { kind: 'mfa_required', challenge };
    }
    const session = await deps.sessions.issue({ userId: input.user.id, amr: [input.method], ...input.meta });
    await deps.audit.record({ type: 'signin', outcome: 'success', userId: input.user.id, method: input.method, ...input.meta });
    return { kind: 'session', session, user: input.user };
  };
}

export type CompleteSignIn = ReturnType<typeof createSignIn>;
