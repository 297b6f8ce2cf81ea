import { defineErrors } from '../errors/error-catalogue';

/** Codes of account linking, answered by every feature that signs in with a linked identity. */
export const linkedIdentityErrors = defineErrors('linked-identities', {
  /** The upstream identity already signs in to another account; it is never moved silently. */
  linkedElsewhere: {
    code: 'identity:linked_elsewhere',
    status: 409,
    message: 'This identity is already linked to another account; unlink it there first',
  },
  /** The account already has an identity of that provider; unlink it first. */
  providerAlreadyLinked: {
    code: 'identity:provider_already_linked',
    status: 409,
    message: (provider: string) => `This account already has a ${provider} identity linked; unlink it first`,
  },
  /**
   * An account with the provider's email exists, but the email is not verified on both sides, so
   * nothing proves the two belong to one person: sign in to the account, then link the provider.
   */
  linkRequired: {
    code: 'identity:link_required',
    status: 409,
    message: 'An account with this email exists: sign in to it first, then link this identity from there',
  },
  notLinked: { code: 'identity:not_linked', status: 404, message: (provider: string) => `No ${provider} identity is linked to this account` },
  /** Unlinking would leave the account with no way to sign in. */
  lastSignInMethod: {
    code: 'identity:last_sign_in_method',
    status: 409,
    message: 'This is the last way to sign in to this account: add another (a password, a verified email, another provider) first',
  },
  /** A pending link was not made by this account, was used already or expired. */
  invalidLinkToken: { code: 'identity:invalid_link_token', status: 400, message: 'The link token is invalid, expired, already used or not for this account' },
});
