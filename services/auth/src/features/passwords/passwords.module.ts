import { promClient } from '@malet/metrics';
import type { AuthCore } from '../../core/core';
import type { AuthModule } from '../../core/module';
import { createHibpChecker, noBreachCheck } from './breached-passwords';
import { createCredentialRepository } from './credential.repository';
import { createLockoutService } from './lockout.service';
import type { PasswordConfig } from './password.config';
import { passwordErrors } from './password.errors';
import { createPasswordHasher } from './password-hasher';
import { createPasswordPolicy } from './password-policy';
import { passwordRoutes } from './password.routes';
import { createPasswordService } from './password.service';

/** Password accounts (seeds 001 to 003): registration, sign-in with lockout, reset and change. */
export function createPasswordsModule(core: AuthCore, config: PasswordConfig) {
  const hashOperations = new promClient.Counter({
    name: 'auth_password_hash_operations_total',
    help: 'argon2id operations: hash (register, change, rehash) and verify (sign-in, including the dummy for unknown accounts)',
    labelNames: ['operation'] as const,
    registers: [core.metrics.registry],
  });
  const credentials = createCredentialRepository(core.db);
  const service = createPasswordService({
    identities: core.identities,
    credentials,
    tokens: core.accountTokens,
    hasher: createPasswordHasher(config.argon2, (operation) => hashOperations.inc({ operation })),
    policy: createPasswordPolicy({
      breached: config.hibp.enabled ? createHibpChecker({ ...config.hibp, logger: core.logger }) : noBreachCheck,
    }),
    lockout: createLockoutService({
      credentials,
      audit: core.audit,
      clock: core.clock,
      policy: config.lockout,
      isKnownClient: core.knownClients.isKnown,
      knownClientExpression: core.knownClients.isKnownExpression,
    }),
    emailVerification: core.emailVerification,
    sendMailInBackground: core.sendMailInBackground,
    background: core.background,
    mailboxProof: core.mailboxProof,
    signOutEverywhere: core.signOutEverywhere,
    markReauthenticated: core.sessions.markReauthenticated,
    completeSignIn: core.completeSignIn,
    audit: core.audit,
    clock: core.clock,
    logger: core.logger,
    publicUrl: core.config.publicUrl,
    onSignUp: () => core.relay.wake(),
  });
  return {
    name: 'passwords',
    routes: passwordRoutes(core, service),
    // A password set by whoever registered an address nobody had proved is theirs goes.
    onMailboxProven: async (userId) => ({ passwordRemoved: await credentials.deletePassword(userId) }),
    signInMethods: async (userId) => ((await credentials.findPasswordHash(userId)) ? [{ kind: 'password' }] : []),
    service,
    /** What `service.confirmPasswordIfSet` answers, for the routes of other features that use it. */
    reauthenticationErrors: [passwordErrors.codes.wrongPassword, passwordErrors.codes.locked],
  } satisfies AuthModule & Record<string, unknown>;
}
