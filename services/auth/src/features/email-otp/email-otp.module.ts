import type { AuthCore } from '../../core/core';
import type { AuthModule } from '../../core/module';
import { emailOtpRoutes } from './email-otp.routes';
import { createEmailOtpService } from './email-otp.service';

/** Seed 000's passwordless sign-in: a 6-digit code by email. */
export function createEmailOtpModule(core: AuthCore): AuthModule {
  const otp = createEmailOtpService({
    challenges: core.loginChallenges,
    identities: core.identities,
    mailboxProof: core.mailboxProof,
    sendSignInMail: core.sendSignInMail,
    completeSignIn: core.completeSignIn,
    audit: core.audit,
    clock: core.clock,
    hmacSecret: core.config.otp.hmacSecret,
  });
  return { name: 'email-otp', routes: emailOtpRoutes(core, otp) };
}
