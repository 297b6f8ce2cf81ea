import type { AuthCore } from '../../core/core';
import type { DeclaredError } from '../../core/errors/error-catalogue';
import type { AuthModule } from '../../core/module';
import { createAccountRepository } from './account.repository';
import { accountRoutes, type ConfirmPasswordIfSet } from './account.routes';
import { createAccountService, type KnowsPassword } from './account.service';

/** Seed 002's account operations: email verification (link or code), email change and its undo. */
export function createAccountModule(
  core: AuthCore,
  /**
   * The passwords feature's checks: re-authentication before an email change, whether a verifier
   * knows the registration's password, and the codes they answer.
   */
  passwords: { confirmPasswordIfSet: ConfirmPasswordIfSet; knowsPassword: KnowsPassword; errors: DeclaredError[] },
): AuthModule {
  const account = createAccountService({
    identities: core.identities,
    accounts: createAccountRepository(core.db),
    tokens: core.accountTokens,
    emailVerification: core.emailVerification,
    mailboxProof: core.mailboxProof,
    signOutEverywhere: core.signOutEverywhere,
    knowsPassword: passwords.knowsPassword,
    mailer: core.mailer,
    sendMailInBackground: core.sendMailInBackground,
    audit: core.audit,
    clock: core.clock,
    publicUrl: core.config.publicUrl,
    hmacSecret: core.config.otp.hmacSecret,
  });
  return {
    name: 'account',
    routes: accountRoutes(core, account, { confirmPasswordIfSet: passwords.confirmPasswordIfSet, reauthenticationErrors: passwords.errors }),
  };
}
