import type { AuditLog } from './audit';
import type { MfaGate, MfaChallenge } from './mfa-gate';
import type { RefreshTokenService } from './refresh-token.service';
import type { IssuedSession, SessionService } from './session.service';

export interface SignInMeta {
  ip: string | null;
  userAgent: string | null;
}

/** A new session and the refresh token bound to it (seed 003's login answer carries both). */
export interface OpenedSession {
  session: IssuedSession;
  refreshToken: string;
  refreshExpiresIn: number;
}

export type SignInResult =
  | ({ kind: 'session'; user: { id: string; email: string } } & OpenedSession)
  | { kind: 'mfa_required'; challenge: MfaChallenge };

/**
 * The one place a sign-in gets its tokens, whichever factor finished it: the session, and a
 * refresh token of a new rotation family bound to that session (so logging out ends both).
 */
export function createSessionOpener(deps: { sessions: Pick<SessionService, 'issue'>; refreshTokens: Pick<RefreshTokenService, 'issue' | 'ttlSeconds'> }) {
  return async function openSession(input: { userId: string; amr: string[] } & SignInMeta): Promise<OpenedSession> {
    const session = await deps.sessions.issue(input);
    const refreshToken = await deps.refreshTokens.issue({ userId: input.userId, sessionId: session.sessionId });
    return { session, refreshToken, refreshExpiresIn: deps.refreshTokens.ttlSeconds };
  };
}

export type OpenSession = ReturnType<typeof createSessionOpener>;

/**
 * The one way a verified first factor becomes a session: MFA first when enrolled, then the
 * session, then the audit record. Every sign-in method ends here.
 */
export function createSignIn(deps: { openSession: OpenSession; mfa: MfaGate; audit: AuditLog }) {
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
    const opened = await deps.openSession({ userId: input.user.id, amr: [input.method], ...input.meta });
    await deps.audit.record({ type: 'signin', outcome: 'success', userId: input.user.id, method: input.method, ...input.meta });
    return { kind: 'session', ...opened, user: input.user };
  };
}

export type CompleteSignIn = ReturnType<typeof createSignIn>;
