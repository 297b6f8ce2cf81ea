import type { ErrorRenderer } from '@malet/http-server';
import { findDeclaredError } from './error-catalogue';

/** RFC 6749 `error` values by status, for codes that do not name their own (`oauth` in the catalogue). */
function oauthErrorForStatus(status: number): string {
  if (status === 400 || status === 404 || status === 413 || status === 415) return 'invalid_request';
  if (status === 401) return 'invalid_token';
  if (status === 403) return 'access_denied';
  if (status === 429 || status === 503) return 'temporarily_unavailable';
  return 'server_error';
}

/**
 * The OAuth 2.0 error shape (RFC 6749 section 5.2) for token endpoints: `{error,
 * error_description}`, never cached. The status stays the catalogue's, so a code means the same
 * status on every surface; the platform code travels in `error_code` for clients that want it.
 */
export const oauthErrorRenderer: ErrorRenderer = (report) => ({
  status: report.status,
  body: {
    error: findDeclaredError(report.body.code)?.oauth ?? oauthErrorForStatus(report.status),
    ...(report.body.details ? { error_description: report.body.details } : {}),
    error_code: report.body.code,
  },
  headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' },
});
