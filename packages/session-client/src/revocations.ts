import { createHash } from 'node:crypto';

/**
 * Auth publishes the hashes of revoked session tokens here; every gateway process evicts them
 * from its cache. Only hashes travel: the channel never carries a usable credential.
 */
export const SESSION_REVOCATION_CHANNEL = 'malet:sessions:revoked';

/** SHA-256 (hex) of a token: what auth stores and what caches are keyed by. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function encodeRevocation(tokenHashes: string[]): string {
  return JSON.stringify({ token_hashes: tokenHashes });
}

export function decodeRevocation(message: string): string[] {
  try {
    const parsed = JSON.parse(message) as { token_hashes?: unknown };
    return Array.isArray(parsed.token_hashes)
      ? parsed.token_hashes.filter((hash): hash is string => typeof hash === 'string' && /^[0-9a-f]{64}$/.test(hash))
      : [];
  } catch {
    return [];
  }
}
