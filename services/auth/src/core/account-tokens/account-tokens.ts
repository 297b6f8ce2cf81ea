import { createHmac } from 'node:crypto';
import type { AccountTokenPurpose, AccountTokenRepository } from './account-token.repository';
import type { Clock } from '../clock';
import { hashToken, looksLikeToken, mintToken, type TokenPrefix } from '../tokens';

/** Emailed account tokens carry their purpose in the prefix, like every token here. */
const PREFIX_OF = {
  verify_email: 'vfy',
  reset_password: 'rst',
  change_email: 'eml',
  undo_email_change: 'undo',
} as const satisfies Record<AccountTokenPurpose, TokenPrefix>;

/** Rejects anything that cannot be a token of `purpose` before it costs a lookup. */
export function looksLikeAccountToken(purpose: AccountTokenPurpose, value: string): boolean {
  return looksLikeToken(PREFIX_OF[purpose], value);
}

/** Whether an emailed token can still be redeemed (its page shows the form only then); spends nothing. */
export async function isLiveAccountToken(
  deps: { tokens: Pick<AccountTokenRepository, 'findLive'>; clock: Clock },
  purpose: AccountTokenPurpose,
  token: string,
): Promise<boolean> {
  return looksLikeAccountToken(purpose, token) && (await deps.tokens.findLive(purpose, hashToken(token), deps.clock.now())) !== null;
}

/**
 * Mints the emailed token of `purpose`, stores only its hash (retiring the user's older tokens
 * of that purpose) and returns the token for the email.
 */
export async function issueAccountToken(
  deps: { tokens: Pick<AccountTokenRepository, 'issue'>; clock: Clock },
  input: { purpose: AccountTokenPurpose; userId: string; email: string; ttlSeconds: number; codeHash?: string; sessionId?: string | null },
): Promise<string> {
  const now = deps.clock.now();
  const token = mintToken(PREFIX_OF[input.purpose]);
  await deps.tokens.issue({
    userId: input.userId,
    purpose: input.purpose,
    tokenHash: hashToken(token),
    codeHash: input.codeHash ?? null,
    email: input.email,
    sessionId: input.sessionId ?? null,
    expiresAt: new Date(now.getTime() + input.ttlSeconds * 1000),
    now,
  });
  return token;
}

/** HMAC of a 6-digit code under the server secret, bound to the user and purpose: a dump alone cannot be brute-forced. */
export function hashAccountCode(secret: string, userId: string, purpose: string, code: string): string {
  return createHmac('sha256', secret).update(`${purpose}:${userId}:${code}`).digest('hex');
}
