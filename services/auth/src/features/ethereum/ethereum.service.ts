import { createHash } from 'node:crypto';
import { getAddress, isAddress, isHex, verifyMessage } from 'viem';
import { createSiweMessage, generateSiweNonce, parseSiweMessage } from 'viem/siwe';
import type { AuditLog } from '../../core/audit/audit-log';
import type { Clock } from '../../core/clock';
import type { RequestMeta } from '../../core/http/request-meta';
import { linkedIdentityErrors } from '../../core/linked-identities/linked-identity.errors';
import type { LinkedIdentityService, UpstreamIdentity } from '../../core/linked-identities/linked-identity.service';
import type { CompleteSignIn, SignInResult } from '../../core/sign-in/complete-sign-in';
import type { EthereumConfig } from './ethereum.config';
import { ethereumErrors } from './ethereum.errors';
import type { EthereumRepository } from './ethereum.repository';

export const SIWE_METHOD = 'siwe';
/** How far ahead of our clock a wallet's `issued-at` may be (clock skew between devices). */
const ISSUED_AT_SKEW_MS = 60_000;

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** A wallet address as we key it: `0x` and 40 hex digits, checksum checked when mixed-case (EIP-55). */
export function normalizeAddress(address: string): `0x${string}` {
  if (!isAddress(address, { strict: true })) throw ethereumErrors.invalidAddress();
  return address.toLowerCase() as `0x${string}`;
}

/**
 * Sign-In with Ethereum (EIP-4361, seed 001's MetaMask endpoints). `issueNonce` hands out a
 * single-use nonce for one address, with a ready-to-sign message; `verify` accepts a message
 * signed by that address when every EIP-4361 field holds: the domain and URI are ours
 * (SIWE_ORIGINS), the chain is accepted, the nonce is the one issued for this address (consumed
 * here, once, before it expires), the message is within its validity (issued-at not in the
 * future, expiration-time and not-before respected), and the signature recovers to the address
 * (EOA wallets; contract wallets would need a chain connection). The address is then an
 * identity like a provider's (`ethereum`, keyed by the lower-case address), with core's linking
 * rules: it signs in to its account, creates one the first time, or links to a signed-in one.
 */
export function createEthereumSignIn(deps: {
  nonces: EthereumRepository;
  linkedIdentities: Pick<LinkedIdentityService, 'resolveSignIn' | 'linkToAccount'>;
  completeSignIn: CompleteSignIn;
  audit: AuditLog;
  clock: Clock;
  config: EthereumConfig;
}) {
  const { config } = deps;
  const allowedHosts = new Set(config.origins.map((origin) => new URL(origin).host));

  async function issueNonce(input: { address: string; chainId?: number | undefined }) {
    const address = normalizeAddress(input.address);
    const chainId = input.chainId ?? config.chainIds[0]!;
    if (!config.chainIds.includes(chainId)) throw ethereumErrors.chainNotAllowed();
    const nonce = generateSiweNonce();
    const now = deps.clock.now();
    const expiresAt = new Date(now.getTime() + config.nonceTtlSeconds * 1000);
    await deps.nonces.insertNonce({ nonceHash: sha256(nonce), address, now, expiresAt });
    const origin = new URL(config.origins[0]!);
    const message = createSiweMessage({
      address: getAddress(address),
      chainId,
      domain: origin.host,
      uri: origin.origin,
      nonce,
      version: '1',
      statement: config.statement,
      issuedAt: now,
      expirationTime: expiresAt,
    });
    return { nonce, message, domain: origin.host, uri: origin.origin, chainId, issuedAt: now, expiresAt, expiresIn: config.nonceTtlSeconds };
  }

  /** Every check but the nonce's consumption; returns the verified address. */
  async function checkSignedMessage(input: { address: string; message: string; signature: string; nonce: string }): Promise<`0x${string}`> {
    const address = normalizeAddress(input.address);
    const fields = parseSiweMessage(input.message);
    if (!fields.address || !fields.domain || !fields.uri || fields.version !== '1' || !fields.chainId || !fields.nonce || !fields.issuedAt || Number.isNaN(fields.issuedAt.getTime())) {
      throw ethereumErrors.invalidMessage();
    }
    if (fields.address.toLowerCase() !== address) throw ethereumErrors.mismatch('address');
    if (fields.nonce !== input.nonce) throw ethereumErrors.mismatch('nonce');

    let uri: URL;
    try {
      uri = new URL(fields.uri);
    } catch {
      throw ethereumErrors.invalidMessage();
    }
    if (!allowedHosts.has(fields.domain) || !config.origins.includes(uri.origin)) throw ethereumErrors.domainNotAllowed();
    if (!config.chainIds.includes(fields.chainId)) throw ethereumErrors.chainNotAllowed();

    const now = deps.clock.now().getTime();
    if (fields.issuedAt.getTime() > now + ISSUED_AT_SKEW_MS) throw ethereumErrors.outsideValidity();
    if (fields.expirationTime && !(fields.expirationTime.getTime() > now)) throw ethereumErrors.outsideValidity();
    if (fields.notBefore && fields.notBefore.getTime() > now) throw ethereumErrors.outsideValidity();

    if (!isHex(input.signature) || !(await verifyMessage({ address, message: input.message, signature: input.signature }).catch(() => false))) {
      throw ethereumErrors.invalidSignature();
    }
    return address;
  }

  async function verifiedAddress(input: { address: string; message: string; signature: string; nonce: string; meta: RequestMeta }): Promise<UpstreamIdentity> {
    let address: `0x${string}`;
    try {
      address = await checkSignedMessage(input);
      // Consumed last, so nothing unsigned can burn someone's nonce; one of parallel replays wins.
      if (!(await deps.nonces.consumeNonce({ nonceHash: sha256(input.nonce), address, now: deps.clock.now() }))) throw ethereumErrors.invalidNonce();
    } catch (error) {
      await deps.audit.record({ type: 'signin', outcome: 'failure', method: SIWE_METHOD, ...input.meta, details: { reason: (error as { code?: string }).code ?? 'error' } });
      throw error;
    }
    return { provider: 'ethereum', subject: address, email: null, emailVerified: false, username: address, displayName: null };
  }

  return {
    issueNonce,

    /** Signs in with the address: its account, or a new one the first time. */
    async signIn(input: { address: string; message: string; signature: string; nonce: string; meta: RequestMeta }): Promise<SignInResult> {
      const identity = await verifiedAddress(input);
      const resolution = await deps.linkedIdentities.resolveSignIn(identity, input.meta);
      // An address asserts no email, so it never matches an account by email; kept for the type's sake.
      if (resolution.kind !== 'signed_in') throw linkedIdentityErrors.linkRequired();
      return deps.completeSignIn({ user: { id: resolution.user.id, email: resolution.user.email }, method: SIWE_METHOD, meta: input.meta });
    },

    /** Links the address to the signed-in account. */
    async link(input: { userId: string; address: string; message: string; signature: string; nonce: string; meta: RequestMeta }) {
      const identity = await verifiedAddress(input);
      return deps.linkedIdentities.linkToAccount(input.userId, identity, input.meta);
    },
  };
}

export type EthereumSignIn = ReturnType<typeof createEthereumSignIn>;
