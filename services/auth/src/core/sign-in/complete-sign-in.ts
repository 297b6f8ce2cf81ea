import type { AuditLog } from '../audit/audit-log';
import type { PendingWrite } from '../db';
import type { RequestMeta } from '../http/request-meta';
import type { RefreshTokenService } from '../sessions/refresh-token.service';
import type { SessionKind, SingleSignOnOrigin } from '../sessions/session.repository';
import type { IssuedSession, SessionService } from '../sessions/session.service';
import { coreErrors } from '../errors/core.errors';
import type { MfaChallenge, MfaGate, SignInGuard } from './sign-in-gate';

export type SignInMeta = RequestMeta;

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
 * Both are minted here and stored by `writes`, which the sign-in sends in one statement with
 * the rest of its writes (the session id is minted here so the refresh token can name it).
 */
export function createSessionOpener(deps: { sessions: Pick<SessionService, 'prepareIssue'>; refreshTokens: Pick<RefreshTokenService, 'prepareIssue'> }) {
  return function prepareSession(input: { userId: string; amr: string[]; kind?: SessionKind; sso?: SingleSignOnOrigin } & SignInMeta): {
    opened: OpenedSession;
    writes: PendingWrite[];
  } {
    const session = deps.sessions.prepareIssue(input);
    const refresh = deps.refreshTokens.prepareIssue({ userId: input.userId, sessionId: session.issued.sessionId });
    return {
      opened: { session: session.issued, refreshToken: refresh.issued.token, refreshExpiresIn: refresh.issued.expiresIn },
      writes: [session.write, refresh.write],
    };
  };
}

export type PrepareSession = ReturnType<typeof createSessionOpener>;

const signInDetails = (input: { secondFactor?: string; sso?: SingleSignOnOrigin }) => ({
  ...(input.secondFactor ? { second_factor: input.secondFactor } : {}),
  ...(input.sso ? { organization_id: input.sso.organizationId, connection_id: input.sso.connectionId } : {}),
});

/** RFC 8176 `amr` of a second factor: a TOTP code is `otp`. */
const amrOfSecondFactor = (method: string) => (method === 'totp' ? 'otp' : method);

/**
 * The one way a verified factor becomes a session, for every sign-in method: the sign-in guards
 * first (a deactivated account is refused, whatever the factor), then the MFA gate (a challenge
 * instead of a session when a second factor is enrolled and not yet answered), then the session,
 * its refresh token, the first factor's own writes, the known client and the audit record, all
 * in one statement: a sign-in is stored whole or not at all (no session without its audit row),
 * in one database round trip. The guards are asked again once the session is stored, so an
 * account deactivated meanwhile does not keep it.
 */
export function createSignIn(deps: {
  prepareSession: PrepareSession;
  audit: Pick<AuditLog, 'writesOf'>;
  /** Sends writes as one statement: all of them or none (`writeTogether` of @malet/database). */
  writeTogether: (writes: readonly PendingWrite[]) => Promise<void>;
  revokeSession: (token: string, reason: string) => Promise<unknown>;
  /** What a sign-in from this client to this address stores with the session (the client becomes known). */
  signedInWrites?: (email: string, client: string | null) => PendingWrite[];
  /** Once a sign-in from this client to this address is stored (its rate-limit counters start again). */
  onSignedIn?: (email: string, client: string | null) => Promise<void>;
}) {
  let mfaGate: MfaGate | null = null;
  const guards: SignInGuard[] = [];

  async function refusedByAGuard(userId: string): Promise<boolean> {
    for (const guard of guards) if (await guard.isRefused(userId)) return true;
    return false;
  }

  async function refuse(input: { user: { id: string }; method: string; meta: SignInMeta }, writes: readonly PendingWrite[]): Promise<never> {
    await deps.writeTogether([
      ...writes,
      ...deps.audit.writesOf({ type: 'signin', outcome: 'failure', userId: input.user.id, method: input.method, ...input.meta, details: { reason: 'account_deactivated' } }),
    ]);
    throw coreErrors.accountDeactivated();
  }

  async function completeSignIn(input: {
    user: { id: string; email: string };
    /** The first factor (`pwd`, `email_otp`, `magic_link`, ...). */
    method: string;
    meta: SignInMeta;
    /** The second factor that was just answered; the MFA gate is then satisfied. */
    secondFactor?: string;
    /** Single sign-on: the organization and connection the session is recorded as coming from. */
    sso?: SingleSignOnOrigin;
    /** `mobile` for the token exchange of native apps: a 15-minute session (web by default). */
    sessionKind?: SessionKind;
    /**
     * The first factor's own writes, stored with whatever the sign-in ends in (session, MFA
     * challenge or refusal): a password sign-in clears its failure counter this way.
     */
    writes?: readonly PendingWrite[];
  }): Promise<SignInResult> {
    const factorWrites = input.writes ?? [];
    if (await refusedByAGuard(input.user.id)) return refuse(input, factorWrites);
    const challenge = input.secondFactor || !mfaGate ? null : await mfaGate.beginIfRequired({ userId: input.user.id, firstFactor: input.method, ...input.meta, ...(input.sso ? { sso: input.sso } : {}) });
    if (challenge) {
      await deps.writeTogether([
        ...factorWrites,
        ...deps.audit.writesOf({ type: 'signin.mfa_challenge', outcome: 'success', userId: input.user.id, method: input.method, ...input.meta }),
      ]);
      return { kind: 'mfa_required', challenge };
    }
    const amr = input.secondFactor ? [input.method, 'mfa', amrOfSecondFactor(input.secondFactor)] : [input.method];
    const { opened, writes: sessionWrites } = deps.prepareSession({ userId: input.user.id, amr, kind: input.sessionKind, ...input.meta, ...(input.sso ? { sso: input.sso } : {}) });
    await deps.writeTogether([
      ...sessionWrites,
      ...factorWrites,
      ...(deps.signedInWrites?.(input.user.email, input.meta.ip) ?? []),
      ...deps.audit.writesOf({
        type: 'signin',
        outcome: 'success',
        userId: input.user.id,
        method: input.method,
        ...input.meta,
        ...(input.secondFactor || input.sso ? { details: signInDetails(input) } : {}),
      }),
    ]);
    if (await refusedByAGuard(input.user.id)) {
      // Deactivated while the session was being stored: the audit trail shows the sign-in and then this refusal.
      await deps.revokeSession(opened.session.token, 'account_deactivated');
      return refuse(input, []);
    }
    await deps.onSignedIn?.(input.user.email, input.meta.ip);
    return { kind: 'session', ...opened, user: input.user };
  }

  return {
    completeSignIn,
    /** Ends the user's sign-ins waiting on a second factor (none without an MFA gate). */
    abandonPendingSignIns: async (userId: string): Promise<number> => (mfaGate ? mfaGate.abandonPending(userId) : 0),
    /** Adds a feature's sign-in guard (when the feature is mounted). */
    useSignInGuard(guard: SignInGuard): void {
      guards.push(guard);
    },
    /** Installs the MFA feature's gate (once, when the feature is mounted). */
    useMfaGate(gate: MfaGate): void {
      if (mfaGate) throw new Error('an MFA gate is already installed');
      mfaGate = gate;
    },
  };
}

export type CompleteSignIn = ReturnType<typeof createSignIn>['completeSignIn'];
