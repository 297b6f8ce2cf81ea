import { defineErrors } from '../../core/errors/error-catalogue';

export const hostedPageErrors = defineErrors('hosted-pages', {
  assetNotFound: { code: 'hosted_pages:asset_not_found', status: 404, message: 'No such page asset' },
});
