import type { Redis } from 'ioredis';
import { createHttpApp, finishHttpApp } from '@malet/http-server';
import { createInternalTokenSigner, createInternalTokenVerifier } from '@malet/internal-auth';
import { createSubgraphServer, subgraphMiddleware } from '@malet/graphql-server';
import type { Logger } from '@malet/logging';
import { createMetrics, promClient, type Metrics } from '@malet/metrics';
import { createOutboxRelay } from '@malet/outbox';
import type { AuthConfig } from './config';
import type { AuthDb } from './data/db';
import { createIdentityRepository } from './data/identity.repository';
import { createSessionRepository } from './data/session.repository';
import { createUsersClient } from './clients/users.client';
import { systemClock, type Clock } from './domain/clock';
import { createSessionService } from './domain/session.service';
import { createRevocationPublisher } from './infra/revocation-publisher';
import { createSmtpMailer, type Mailer } from './infra/mailer';
import { createRateLimiters } from './infra/rate-limiter';
import { createAuditRepository } from './data/audit.repository';
import { createAuditLog } from './domain/audit';
import { createIdentityLoader, createResolvers, typeDefs, type AuthContext } from './graphql/resolvers';
import { devRoutes } from './routes/dev.routes';
import { sessionRoutes } from './routes/session.routes';
import { createMfaRepository } from './data/mfa.repository';
import { createMfaService } from './domain/mfa.service';
import { createSecretBox } from './domain/secret-box';
import { createSessionOpener, createSignIn } from './domain/sign-in';
import { createDevSmsProvider, createTwilioSmsProvider, type SmsProvider } from './infra/sms';
import { mfaRoutes } from './routes/mfa.routes';
import { createRateLimitGuard } from './routes/rate-limit';
import { createChallengeRepository } from './data/challenge.repository';
import { createEmailOtpService } from './domain/email-otp.service';
import { createMagicLinkService } from './domain/magic-link.service';
import { csrfProtection } from './routes/csrf';
import { docsRoutes } from './routes/docs.routes';
import { emailCheckRoutes } from './routes/email-check.routes';
import { emailOtpRoutes } from './routes/email-otp.routes';
import { magicLinkRoutes } from './routes/magic-link.routes';
import { createAccountRepository } from './data/account.repository';
import { createCredentialRepository } from './data/credential.repository';
import { createRefreshTokenRepository } from './data/refresh-token.repository';
import { createTokenRepository } from './data/token.repository';
import { createAccountService } from './domain/account.service';
import { createLockoutService } from './domain/lockout.service';
import { createPasswordPolicy } from './domain/password-policy';
import { createPasswordService } from './domain/password.service';
import { createRefreshTokenService } from './domain/refresh-token.service';
import { createSessionManagement } from './domain/session-management.service';
import { createHibpChecker, noBreachCheck } from './infra/breached-passwords';
import { createPasswordHasher } from './infra/password-hasher';
import { accountRoutes } from './routes/account.routes';
import { passwordRoutes } from './routes/password.routes';
import { sessionsRoutes } from './routes/sessions.routes';

export interface AuthDependencies {
  config: AuthConfig;
  logger: Logger;
  db: AuthDb;
  ping: () => Promise<void>;
  redis: Redis | null;
  clock?: Clock;
  metrics?: Metrics;
  /** Defaults to SMTP at config.mail.smtpUrl. */
  mailer?: Mailer;
  /** Defaults to config.sms: Twilio, or the dev provider that mails texts to the catcher. */
  sms?: SmsProvider;
}

/** Wires the auth service; `main.ts` and the test factory both build it through here. */
export async function createAuthApp(deps: AuthDependencies) {
  const { config, logger, db } = deps;
  const metrics = deps.metrics ?? createMetrics({ service: 'auth' });
  const clock = deps.clock ?? systemClock;
  const signInternalToken = createInternalTokenSigner({ secret: config.internalTokenSecret, issuer: 'auth' });
  const verifyInternalToken = createInternalTokenVerifier({ secret: config.internalTokenSecret });

  const smtp = deps.mailer ? null : createSmtpMailer({ ...config.mail, logger });
  const mailer = deps.mailer ?? smtp!;
  const rateLimiters = createRateLimiters(deps.redis, { keyPrefix: config.rateLimits.keyPrefix });
  const limits = createRateLimitGuard({ limiters: rateLimiters, enabled: config.rateLimits.enabled, verifyInternalToken });
  const audit = createAuditLog({ audit: createAuditRepository(db), logger });
  const identities = createIdentityRepository(db);
  const refreshTokenRows = createRefreshTokenRepository(db);
  const sessions = createSessionService({
    sessions: createSessionRepository(db),
    refreshTokens: refreshTokenRows,
    revocations: createRevocationPublisher(deps.redis, logger),
    clock,
    ttlSeconds: config.session.ttlSeconds,
  });
  const sms =
    deps.sms ??
    (config.sms.provider === 'twilio' ? createTwilioSmsProvider({ ...config.sms, logger }) : createDevSmsProvider(mailer));
  const refreshTokens = createRefreshTokenService({ refreshTokens: refreshTokenRows, sessions, audit, clock });
  const openSession = createSessionOpener({ sessions, refreshTokens });
  const mfa = createMfaService({
    mfa: createMfaRepository(db),
    identities,
    openSession,
    audit,
    secretBox: createSecretBox({ current: config.mfa.encryptionKey, previous: config.mfa.previousEncryptionKeys }),
    sms,
    codeSecret: config.otp.hmacSecret,
    clock,
  });
  /** Every first factor ends here: MFA challenge when enrolled, else session + audit. */
  const completeSignIn = createSignIn({ openSession, mfa: mfa.gate, audit });
  const users = createUsersClient({ usersUrl: config.usersUrl, signInternalToken, logger });
  const relay = createOutboxRelay({
    db,
    logger,
    signInternalToken,
    pollMs: config.outbox.pollMs,
    subscribers: [{ name: 'users', url: `${config.usersUrl}/internal/events`, topics: ['user.created', 'user.updated'] }],
  });
  const challenges = createChallengeRepository(db);
  const credentials = createCredentialRepository(db);
  /** A mailbox owner proving control of a never-verified account evicts whoever registered it. */
  async function revokeUnprovenAccess(userId: string): Promise<void> {
    const passwordRemoved = await credentials.deletePassword(userId);
    const sessionsRevoked = await sessions.revokeAllForUser(userId, 'email_ownership_proven');
    if (passwordRemoved || sessionsRevoked > 0) {
      await audit.record({ type: 'account.ownership_proven', outcome: 'success', userId, details: { passwordRemoved, sessionsRevoked } });
    }
  }
  const passwordless = {
    challenges,
    identities,
    mailer,
    audit,
    completeSignIn,
    clock,
    onSignUp: () => relay.wake(),
    onOwnershipProven: revokeUnprovenAccess,
  };
  // Spent and expired codes and links are kept a day (for support questions), then deleted.
  const challengeSweep = setInterval(() => {
    challenges.purgeExpired(new Date(clock.now().getTime() - 86_400_000)).catch((error: unknown) => {
      logger.warn({ err: error }, 'could not purge expired login challenges');
    });
  }, 10 * 60_000);
  challengeSweep.unref();
  const emailOtp = createEmailOtpService({ ...passwordless, hmacSecret: config.otp.hmacSecret });
  const magicLinks = createMagicLinkService({ ...passwordless, publicUrl: config.publicUrl, returnToAllowlist: config.returnToAllowlist });

  // Passwords, account operations (verification, email change), refresh tokens, session lists.
  const passwordHashOperations = new promClient.Counter({
    name: 'auth_password_hash_operations_total',
    help: 'argon2id operations: hash (register, change, rehash) and verify (sign-in, including the dummy for unknown accounts)',
    labelNames: ['operation'] as const,
    registers: [metrics.registry],
  });
  const passwordHasher = createPasswordHasher(config.passwords.argon2, (operation) => passwordHashOperations.inc({ operation }));
  const accountTokens = createTokenRepository(db);
  const accounts = createAccountRepository(db);
  const sessionManagement = createSessionManagement({ sessions, audit });
  const account = createAccountService({
    identities,
    accounts,
    tokens: accountTokens,
    mailer,
    audit,
    clock,
    logger,
    publicUrl: config.publicUrl,
    hmacSecret: config.otp.hmacSecret,
  });
  const passwords = createPasswordService({
    identities,
    credentials,
    accounts,
    tokens: accountTokens,
    hasher: passwordHasher,
    policy: createPasswordPolicy({
      breached: config.passwords.hibp.enabled ? createHibpChecker({ ...config.passwords.hibp, logger }) : noBreachCheck,
    }),
    lockout: createLockoutService({ credentials, audit, clock, policy: config.passwords.lockout }),
    account,
    sessions,
    completeSignIn,
    audit,
    clock,
    logger,
    publicUrl: config.publicUrl,
    onSignUp: () => relay.wake(),
  });

  const app = createHttpApp({ service: 'auth', logger, metrics, production: config.production, readiness: deps.ping });
  app.set('trust proxy', config.trustProxy);
  // Before every route: cookie-authenticated state changes need a trusted Origin (routes/csrf.ts).
  const browserOrigins = [...config.csrf.trustedOrigins, new URL(config.publicUrl).origin];
  app.use(csrfProtection({ trustedOrigins: browserOrigins }));
  app.use(docsRoutes({ limits, serverUrl: config.publicUrl }));
  app.use(emailOtpRoutes({ otp: emailOtp, limits, ttlSeconds: config.session.ttlSeconds, cookie: config.cookie }));
  app.use(magicLinkRoutes({ magicLinks, limits, ttlSeconds: config.session.ttlSeconds, cookie: config.cookie, pageOrigins: browserOrigins, returnToOrigins: config.returnToAllowlist }));
  app.use(emailCheckRoutes({ identities, limits }));
  app.use(sessionRoutes({ sessions, refreshTokens, identities, users, cookie: config.cookie, limits }));
  app.use(mfaRoutes({ mfa, sessions, limits, cookie: config.cookie }));
  app.use(passwordRoutes({ passwords, sessions, limits, cookie: config.cookie }));
  app.use(accountRoutes({ account, passwords, sessions, limits }));
  app.use(sessionsRoutes({ sessions, management: sessionManagement, refreshTokens, limits }));
  if (config.dev.enabled) {
    app.use(
      devRoutes({
        identities,
        sessions,
        limits,
        // A profile created moments ago may still be in the outbox: deliver it, then ask again.
        usernameOf: async (userId) => {
          const username = await users.findUsername(userId);
          if (username) return username;
          await relay.flush();
          return users.findUsername(userId);
        },
      }),
    );
  }

  const graphql = await createSubgraphServer<AuthContext>({ typeDefs, resolvers: createResolvers(), logger, metrics });
  app.post(
    '/graphql',
    subgraphMiddleware(graphql, verifyInternalToken, (base) => ({ ...base, identities: createIdentityLoader(identities), sessionManagement, mfa })),
  );
  finishHttpApp(app);

  return {
    app,
    relay,
    identities,
    sessions,
    metrics,
    mailer,
    rateLimiters,
    limits,
    completeSignIn,
    emailOtp,
    magicLinks,
    mfa,
    sms,
    audit,
    passwords,
    passwordHasher,
    account,
    refreshTokens,
    sessionManagement,
    async close() {
      clearInterval(challengeSweep);
      await relay.stop();
      await graphql.stop();
      smtp?.close();
    },
  };
}

export type AuthApp = Awaited<ReturnType<typeof createAuthApp>>;
