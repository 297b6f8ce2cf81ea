import { defineErrors } from '../../core/errors/error-catalogue';

export const magicLinkErrors = defineErrors('magic-link', {
  invalidLink: { code: 'auth:invalid_link', status: 401, message: 'The link is invalid, expired or already used' },
});
