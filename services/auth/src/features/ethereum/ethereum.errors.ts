import { defineErrors } from '../../core/errors/error-catalogue';

/** Sign-In with Ethereum (EIP-4361). A failed check is 401; a message that is not EIP-4361 at all is 400. */
export const ethereumErrors = defineErrors('ethereum', {
  invalidAddress: { code: 'siwe:invalid_address', status: 400, message: 'Not an Ethereum address (0x and 40 hex digits, checksummed when mixed-case)', fields: ['address'] },
  invalidMessage: { code: 'siwe:invalid_message', status: 400, message: 'Not an EIP-4361 message: address, domain, uri, version 1, chain id, nonce and issued-at are required', fields: ['message'] },
  /** The message, the body and the nonce must all name the same address and nonce. */
  mismatch: { code: 'siwe:message_mismatch', status: 400, message: (field: string) => `The signed message's ${field} is not the one in the request`, fields: (field: string) => [field] },
  domainNotAllowed: { code: 'siwe:domain_not_allowed', status: 401, message: 'The message was prepared for another site (its domain or URI is not ours)' },
  chainNotAllowed: { code: 'siwe:chain_not_allowed', status: 401, message: 'The message names a chain this service does not accept' },
  /** Expired, not yet valid, or issued in the future. */
  outsideValidity: { code: 'siwe:message_expired', status: 401, message: 'The message is expired, not yet valid, or issued in the future' },
  /** Unknown, already used, expired, or issued for another address. */
  invalidNonce: { code: 'siwe:invalid_nonce', status: 401, message: 'The nonce is unknown, expired, already used or was issued for another address' },
  invalidSignature: { code: 'siwe:invalid_signature', status: 401, message: 'The signature is not by this address over this message' },
});
