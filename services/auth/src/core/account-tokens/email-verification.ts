import type { Clock } from '../clock';
import type { Mailer, OutgoingMail } from '../mail/mailer';
import { mintSixDigitCode } from '../tokens';
import type { AccountTokenRepository } from './account-token.repository';
import { hashAccountCode, issueAccountToken } from './account-tokens';

const VERIFY_TTL_SECONDS = 24 * 3600;

/**
 * The verification email: a link and a 6-digit code for the account's current address. Issuing
 * one retires older ones. Registration sends it; the account feature resends and redeems it.
 */
export function createEmailVerification(deps: {
  tokens: Pick<AccountTokenRepository, 'issue'>;
  clock: Clock;
  mailer: Mailer;
  publicUrl: string;
  hmacSecret: string;
}) {
  return {
    async issueMail(user: { id: string; email: string }): Promise<OutgoingMail> {
      const code = mintSixDigitCode();
      const token = await issueAccountToken(deps, {
        purpose: 'verify_email',
        userId: user.id,
        email: user.email,
        ttlSeconds: VERIFY_TTL_SECONDS,
        codeHash: hashAccountCode(deps.hmacSecret, user.id, 'verify_email', code),
      });
      const url = `${deps.publicUrl}/auth/verify-email?token=${encodeURIComponent(token)}`;
      return {
        to: user.email,
        subject: 'Verify your Malet email address',
        text: `Confirm your email address by opening this link:\n\n${url}\n\nOr enter this code: ${code}\n\nThe link and code work for 24 hours. If you did not create a Malet account, ignore this email.`,
        html: `<p>Confirm your email address:</p><p><a href="${url}">Verify my email</a></p><p>Or enter this code: <strong>${code}</strong></p><p>The link and code work for 24 hours. If you did not create a Malet account, ignore this email.</p>`,
      };
    },
  };
}

export type EmailVerification = ReturnType<typeof createEmailVerification>;
