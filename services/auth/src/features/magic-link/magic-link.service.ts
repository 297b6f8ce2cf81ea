import { randomUUID } from 'node:crypto';
import type { AuditLog } from '../../core/audit/audit-log';
import type { Clock } from '../../core/clock';
import type { RequestMeta } from '../../core/http/request-meta';
import { isAllowedReturnTo } from '../../core/http/return-to';
import type { MailboxProof } from '../../core/identities/mailbox-proof';
import type { ChallengeRepository } from '../../core/login-challenges/login-challenge.repository';
import type { SendSignInMail } from '../../core/mail/sign-in-mail';
import type { CompleteSignIn, SignInResult } from '../../core/sign-in/complete-sign-in';
import { hashToken, looksLikeToken, mintToken } from '../../core/tokens';
import { coreErrors } from '../../core/errors/core.errors';
import { magicLinkErrors } from './magic-link.errors';

export const MAGIC_LINK_METHOD = 'magic_link';

/**
 * Magic links (seeds 000 and 001): a single-use link by email, valid 15 minutes. API clients
 * post the token to `/auth/magic-link/verify`; browsers open the link, which completes the
 * sign-in on auth and returns to `return_to` when it is allow-listed. Like email OTP, the first
 * verified link for an unknown email creates the account, so `start` does the same work for
 * every address.
 */
export function createMagicLinkService(deps: {
  challenges: ChallengeRepository;
  mailboxProof: Pick<MailboxProof, 'verifiedIdentityFor'>;
  sendSignInMail: SendSignInMail;
  completeSignIn: CompleteSignIn;
  audit: AuditLog;
  clock: Clock;
  /** Base URL of auth as browsers reach it (PUBLIC_URL): links point here. */
  publicUrl: string;
  returnToAllowlist: readonly string[];
  ttlSeconds?: number;
}) {
  const ttlSeconds = deps.ttlSeconds ?? 900;

  async function start(input: { email: string; returnTo?: string | undefined; meta: RequestMeta }): Promise<{ expiresIn: number }> {
    if (input.returnTo !== undefined && !isAllowedReturnTo(input.returnTo, deps.returnToAllowlist)) {
      throw coreErrors.returnToNotAllowed();
    }
    const now = deps.clock.now();
    const token = mintToken('ml');
    await deps.challenges.insert(
      {
        id: randomUUID(),
        kind: 'magic_link',
        email: input.email,
        secretHash: hashToken(token),
        // Single use: the consuming UPDATE counts the one attempt a link has.
        maxAttempts: 1,
        expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
        returnTo: input.returnTo ?? null,
        ...input.meta,
      },
      // Several links may be outstanding (a user who asks twice can click either); each is single use.
      { supersede: false, now },
    );
    const link = `${deps.publicUrl}/auth/magic-link/callback?token=${encodeURIComponent(token)}`;
    const minutes = Math.round(ttlSeconds / 60);
    await deps.sendSignInMail({
      email: input.email,
      meta: input.meta,
      auditType: 'magic_link.sent',
      method: MAGIC_LINK_METHOD,
      mail: {
        subject: 'Your Malet sign-in link',
        text: `Sign in to Malet by opening this link:\n\n${link}\n\nIt works once and expires in ${minutes} minutes. If you did not ask for it, ignore this email.\n`,
        html: `<p>Sign in to Malet by opening this link:</p><p><a href="${link}">Sign in to Malet</a></p><p>It works once and expires in ${minutes} minutes. If you did not ask for it, ignore this email.</p>`,
      },
    });
    return { expiresIn: ttlSeconds };
  }

  /** Consumes the token (atomically: one winner however many requests race) and signs in. */
  async function verify(input: { token: string; meta: RequestMeta }): Promise<{ result: SignInResult; returnTo: string | null }> {
    const now = deps.clock.now();
    const challenge = looksLikeToken('ml', input.token)
      ? await deps.challenges.consumeBySecretHash('magic_link', hashToken(input.token), now)
      : null;
    if (!challenge) {
      await deps.audit.record({ type: 'signin', outcome: 'failure', method: MAGIC_LINK_METHOD, ...input.meta, details: { reason: 'invalid_link' } });
      throw magicLinkErrors.invalidLink();
    }
    const identity = await deps.mailboxProof.verifiedIdentityFor(challenge.email);
    const result = await deps.completeSignIn({ user: { id: identity.id, email: identity.email }, method: MAGIC_LINK_METHOD, meta: input.meta });
    const returnTo = challenge.returnTo && isAllowedReturnTo(challenge.returnTo, deps.returnToAllowlist) ? challenge.returnTo : null;
    return { result, returnTo };
  }

  return { start, verify, ttlSeconds, isAllowedReturnTo: (value: string) => isAllowedReturnTo(value, deps.returnToAllowlist) };
}

export type MagicLinkService = ReturnType<typeof createMagicLinkService>;
