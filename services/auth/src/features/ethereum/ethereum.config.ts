import { z } from 'zod';
import { originList } from '../../core/core.config';

/** Sign-In with Ethereum (EIP-4361): where the signed message may come from, on which chains. */
export const ethereumEnvShape = {
  /**
   * Origins of the pages that may ask a wallet to sign in: the message's `domain` must be one of
   * their hosts and its `uri` must be on one of them (a phishing site's message names its own).
   */
  SIWE_ORIGINS: originList('http://localhost:3000,http://localhost:30000,http://localhost:3008'),
  /** EIP-155 chain ids accepted in messages (comma-separated; 1 is Ethereum mainnet). */
  SIWE_CHAIN_IDS: z
    .string()
    .default('1')
    .refine((value) => value.split(',').every((item) => /^\d{1,12}$/.test(item.trim())), 'must be comma-separated chain ids')
    .transform((value) => value.split(',').map((item) => Number(item.trim()))),
  /** How long a nonce from `/auth/metamask/nonce` may be signed and used (300 s). */
  SIWE_NONCE_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(300),
  SIWE_STATEMENT: z.string().min(1).max(200).default('Sign in to Malet.'),
};

type EthereumEnv = z.infer<z.ZodObject<typeof ethereumEnvShape>>;

export function ethereumConfigFrom(raw: EthereumEnv) {
  return {
    origins: raw.SIWE_ORIGINS,
    chainIds: raw.SIWE_CHAIN_IDS,
    nonceTtlSeconds: raw.SIWE_NONCE_TTL_SECONDS,
    statement: raw.SIWE_STATEMENT,
  };
}

export type EthereumConfig = ReturnType<typeof ethereumConfigFrom>;
