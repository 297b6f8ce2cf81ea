import { defineErrors } from '../../core/errors/error-catalogue';

export const sessionErrors = defineErrors('sessions', {
  /** Not one of the caller's live sessions; another user's id answers the same. */
  notFound: { code: 'session:not_found', status: 404, message: 'No such session' },
  /** `revokeOtherSessions` from a caller without a session to keep (an internal call). */
  noCurrentSession: { code: 'session:no_current_session', status: 401, message: 'A session is required to keep while signing out the others' },
});
