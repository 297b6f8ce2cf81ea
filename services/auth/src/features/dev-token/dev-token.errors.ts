import { defineErrors } from '../../core/errors/error-catalogue';

export const devTokenErrors = defineErrors('dev-token', {
  userNotFound: { code: 'user:not_found', status: 404, message: 'No user with that email' },
});
