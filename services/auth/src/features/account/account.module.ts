import type { AuthCore } from '../../core/core';
import type { DeclaredError } from '../../core/errors/error-catalogue';
import type { AuthModule } from '../../core/module';
import { createAccountRepository } from './account.repository';
import { accountRoutes, type ConfirmPasswordIfSet } from './account.routes';
import { createAccountService } from './account.service';

/** Seed 002's account operations: email verification (link or code) and email change. */
export function createAccountModule(
  core: AuthCore,
  /** Re-authentication before an email change, and the codes it answers (the passwords feature's). */
  reauthentication: { confirmPasswordIfSet: ConfirmPasswordIfSet; errors: DeclaredError[] },
): AuthModule {
  const account = createAccountService({
    identities: core.identities,
    accounts: createAccountRepository(core.db),
    tokens: core.accountTokens,
    emailVerification: core.emailVerification,
    mailer: core.mailer,
    sendMailInBackground: core.sendMailInBackground,
    audit: core.audit,
    clock: core.clock,
    publicUrl: core.config.publicUrl,
    hmacSecret: core.config.otp.hmacSecret,
  });
  return {
    name: 'account',
    routes: accountRoutes(core, account, { confirmPasswordIfSet: reauthentication.confirmPasswordIfSet, reauthenticationErrors: reauthentication.errors }),
  };
}
