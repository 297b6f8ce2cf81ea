import type { Logger } from '@malet/logging';
import type { AuditRepository } from './audit.repository';

export interface SecurityEvent {
  type: string;
  outcome: 'success' | 'failure';
  userId?: string | null;
  method?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  /** Never secrets: no codes, passwords or tokens. */
  details?: Record<string, unknown>;
}

/**
 * Records security events. A failure to write the audit trail is logged loudly but does not
 * fail the user's request: the request's own effect is already committed.
 */
export function createAuditLog(deps: { audit: AuditRepository; logger: Logger }) {
  const rowOf = (event: SecurityEvent) => ({
    type: event.type,
    outcome: event.outcome,
    userId: event.userId ?? null,
    method: event.method ?? null,
    ip: event.ip ?? null,
    userAgent: event.userAgent?.slice(0, 512) ?? null,
    details: event.details ?? {},
  });

  return {
    async record(event: SecurityEvent): Promise<void> {
      try {
        await deps.audit.record(rowOf(event));
      } catch (error) {
        deps.logger.error({ err: error, type: event.type }, 'could not write audit event');
      }
    },

    /**
     * The event's writes, for a statement that must not commit without them (`writeTogether`):
     * there a failed audit write fails the whole change, unlike `record`.
     */
    writesOf: (event: SecurityEvent) => deps.audit.writesOf(rowOf(event)),
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;
