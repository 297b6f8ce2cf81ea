import { defineErrors } from '../../core/errors/error-catalogue';

export const revocationStreamErrors = defineErrors('revocation-stream', {
  /** Thrown by @malet/internal-auth when a valid internal token names a caller the endpoint does not serve. */
  callerForbidden: { code: 'internal:caller_forbidden', status: 403, message: 'This internal endpoint does not serve that caller' },
  unavailable: { code: 'revocations:unavailable', status: 503, message: 'The revocation stream is reconnecting to the database; retry shortly', headers: () => ({ 'Retry-After': '1' }) },
  invalidCursor: { code: 'revocations:invalid_cursor', status: 400, message: 'Last-Event-ID must be a cursor this stream sent', fields: ['Last-Event-ID'] },
});
