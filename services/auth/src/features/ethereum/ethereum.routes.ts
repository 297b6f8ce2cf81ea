import { z } from 'zod';
import type { AuthCore } from '../../core/core';
import { defineRoute } from '../../core/http/route';
import { signInResponseBody } from '../../core/http/sign-in-response';
import { linkedIdentityErrors } from '../../core/linked-identities/linked-identity.errors';
import { ethereumErrors } from './ethereum.errors';
import type { EthereumSignIn } from './ethereum.service';

const addressField = z.string().max(64).meta({ example: '0x742d35Cc6634C0532925a3b844Bc454e4438f44e' });
export const nonceBody = z.object({ address: addressField, chain_id: z.number().int().positive().optional() }).strict();
export const nonceResponseBody = z.object({
  nonce: z.string(),
  /** An EIP-4361 message for this address and nonce, ready for `personal_sign`. */
  message: z.string(),
  domain: z.string(),
  uri: z.string(),
  chain_id: z.number().int(),
  issued_at: z.string().meta({ format: 'date-time' }),
  expiration_time: z.string().meta({ format: 'date-time' }),
  expires_in: z.number().int(),
});
/** Seed 001's body. */
export const verifyBody = z
  .object({
    address: addressField,
    signature: z.string().min(1).max(1024).meta({ example: '0x…' }),
    message: z.string().min(1).max(4096),
    nonce: z.string().min(8).max(128),
  })
  .strict();

const verifyErrors = [
  ethereumErrors.codes.invalidAddress,
  ethereumErrors.codes.invalidMessage,
  ethereumErrors.codes.mismatch,
  ethereumErrors.codes.domainNotAllowed,
  ethereumErrors.codes.chainNotAllowed,
  ethereumErrors.codes.outsideValidity,
  ethereumErrors.codes.invalidNonce,
  ethereumErrors.codes.invalidSignature,
];

/** Seed 001's MetaMask endpoints: Sign-In with Ethereum (EIP-4361), and linking an address to an account. */
export function ethereumRoutes(core: Pick<AuthCore, 'sendSignInResult'>, siwe: EthereumSignIn) {
  return [
    defineRoute({
      method: 'post',
      path: '/auth/metamask/nonce',
      summary: 'A single-use nonce for this address (5 minutes), with an EIP-4361 message ready to sign',
      tags: ['Sign-In with Ethereum'],
      access: 'public',
      limit: 'standard',
      body: nonceBody,
      responses: { 200: { description: 'The nonce and a message to sign', body: nonceResponseBody } },
      errors: [ethereumErrors.codes.invalidAddress, ethereumErrors.codes.chainNotAllowed],
      async handle({ body }) {
        const issued = await siwe.issueNonce({ address: body.address, chainId: body.chain_id });
        return {
          nonce: issued.nonce,
          message: issued.message,
          domain: issued.domain,
          uri: issued.uri,
          chain_id: issued.chainId,
          issued_at: issued.issuedAt.toISOString(),
          expiration_time: issued.expiresAt.toISOString(),
          expires_in: issued.expiresIn,
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/metamask/verify',
      summary:
        "Sign in with a wallet's signature of an EIP-4361 message: domain and URI ours, chain accepted, the nonce issued for this address (single use, unexpired), within the message's validity. The first sign-in of an address creates its account.",
      tags: ['Sign-In with Ethereum'],
      access: 'public',
      limit: 'providerSignIn',
      body: verifyBody,
      responses: { 200: { description: 'Signed in (session cookie set), or a second factor is due', body: signInResponseBody } },
      errors: verifyErrors,
      async handle({ body, res, meta }) {
        core.sendSignInResult(res, await siwe.signIn({ ...body, meta }));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/metamask/link',
      summary: 'Link a wallet address to the signed-in account (needs a recent sign-in), with the same signed message as signing in',
      tags: ['Sign-In with Ethereum'],
      access: 'recent',
      limit: 'sensitive',
      body: verifyBody,
      responses: { 200: { description: 'Linked', body: z.object({ linked: z.literal(true), provider: z.literal('ethereum'), address: z.string() }) } },
      errors: [...verifyErrors, linkedIdentityErrors.codes.linkedElsewhere, linkedIdentityErrors.codes.providerAlreadyLinked],
      async handle({ body, session, meta }) {
        const link = await siwe.link({ ...body, userId: session.userId, meta });
        return { linked: true, provider: 'ethereum', address: link.subject };
      },
    }),
  ];
}
