import type { AuditLog } from '../../core/audit/audit-log';
import { describeDevice } from '../../core/http/device-name';
import type { RequestMeta } from '../../core/http/request-meta';
import { sessionErrors } from './sessions.errors';
import type { SignOutEverywhere } from '../../core/identities/mailbox-proof';
import type { SessionListing } from '../../core/sessions/session.repository';
import type { SessionService } from '../../core/sessions/session.service';

export interface SessionView {
  id: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
  /** e.g. `Firefox 121 on Windows 10`; null when the user agent says nothing recognisable. */
  device: string | null;
  current: boolean;
  methods: string[];
}

/** A session as the list shows it. */
function viewOf(row: SessionListing, currentSessionId: string | null): SessionView {
  return {
    id: row.id,
    createdAt: row.createdAt,
    lastSeenAt: row.lastSeenAt,
    expiresAt: row.expiresAt,
    ip: row.ip,
    userAgent: row.userAgent,
    device: describeDevice(row.userAgent),
    current: row.id === currentSessionId,
    methods: row.amr,
  };
}

/**
 * "Where am I signed in": the user's live sessions, and revoking one or all others. Every
 * revocation goes through the session service, which publishes it on Redis so every gateway
 * process evicts the token within a second.
 */
export function createSessionManagement(deps: {
  sessions: SessionService;
  /** Signing out everywhere else also ends sign-ins elsewhere that wait on a second factor. */
  signOutEverywhere: SignOutEverywhere;
  audit: AuditLog;
}) {
  /** Several users' sessions in one query (GraphQL's per-request loader); `current` marks the caller's. */
  async function listForUsers(userIds: readonly string[], currentSessionId: string | null): Promise<Map<string, SessionView[]>> {
    const byUser = await deps.sessions.listForUsers(userIds);
    return new Map([...byUser].map(([userId, rows]) => [userId, rows.map((row) => viewOf(row, currentSessionId))]));
  }

  return {
    async list(userId: string, currentSessionId: string | null): Promise<SessionView[]> {
      return (await listForUsers([userId], currentSessionId)).get(userId) ?? [];
    },

    listForUsers,

    /** Revokes one of the user's own sessions; another user's id is indistinguishable from an unknown one (404). */
    async revoke(userId: string, sessionId: string, meta: RequestMeta & { currentSessionId: string | null }): Promise<void> {
      const revoked = await deps.sessions.revokeById(userId, sessionId, 'user_revoked');
      if (!revoked) throw sessionErrors.notFound();
      await deps.audit.record({
        type: 'session.revoked',
        outcome: 'success',
        userId,
        ip: meta.ip,
        userAgent: meta.userAgent,
        details: { session_id: sessionId, current: sessionId === meta.currentSessionId },
      });
    },

    /** Signs out everywhere else; returns how many sessions ended. */
    async revokeOthers(userId: string, currentSessionId: string, meta: RequestMeta): Promise<number> {
      const revoked = await deps.signOutEverywhere(userId, 'user_revoked_others', currentSessionId);
      await deps.audit.record({
        type: 'session.revoked_others',
        outcome: 'success',
        userId,
        ...meta,
        details: { revoked, kept_session_id: currentSessionId },
      });
      return revoked;
    },
  };
}

export type SessionManagement = ReturnType<typeof createSessionManagement>;
