import { createHmac } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createInternalTokenSigner, createInternalTokenVerifier } from '@malet/internal-auth';
import type { Logger } from '@malet/logging';
import { createMetrics, type Metrics } from '@malet/metrics';
import { writeTogether } from '@malet/database';
import { createOutboxRelay, type OutboxSubscriber } from '@malet/outbox';
import { createAccountTokenRepository } from './account-tokens/account-token.repository';
import { createEmailVerification } from './account-tokens/email-verification';
import { createAuditLog } from './audit/audit-log';
import { createAuditRepository } from './audit/audit.repository';
import { createBackgroundTasks } from './background';
import { systemClock, type Clock } from './clock';
import type { CoreConfig } from './core.config';
import type { AuthDb } from './db';
import { createOriginCheck } from './http/csrf';
import { createSignInResponder } from './http/sign-in-response';
import { createIdentityRepository } from './identities/identity.repository';
import { createSignInMethods } from './identities/sign-in-methods';
import { createLinkedIdentityRepository } from './linked-identities/linked-identity.repository';
import { createLinkedIdentityService } from './linked-identities/linked-identity.service';
import { createMailboxProof } from './identities/mailbox-proof';
import { createChallengeRepository } from './login-challenges/login-challenge.repository';
import { createMailRelay, createSmtpSender } from '@malet/mail-outbox';
import { createQueuedMailer, type Mailer, type OutgoingMail } from './mail/mailer';
import { createSignInMailer } from './mail/sign-in-mail';
import type { ScheduledJob } from './module';
import { createKnownClients } from './rate-limit/known-clients';
import { createRateLimitGuard } from './rate-limit/rate-limit.guard';
import { createRateLimiters } from './rate-limit/rate-limiter';
import { createRefreshTokenRepository } from './sessions/refresh-token.repository';
import { createRefreshTokenService } from './sessions/refresh-token.service';
import { createRevocationPublisher } from './sessions/revocation-publisher';
import { createSessionRepository } from './sessions/session.repository';
import { createSessionService } from './sessions/session.service';
import { createSessionOpener, createSignIn } from './sign-in/complete-sign-in';
import { createUsersClient } from './users.client';

export interface AuthCoreDependencies {
  config: CoreConfig;
  logger: Logger;
  db: AuthDb;
  redis: Redis | null;
  clock?: Clock;
  metrics?: Metrics;
  /** Defaults to the mail queue, relayed to SMTP at config.mail.smtpUrl. */
  mailer?: Mailer;
}

/**
 * What every feature builds on, and nothing feature-specific: identities, sessions and refresh
 * tokens, the one sign-in completion path, audit, mail, rate limits, emailed tokens and the
 * outbox relay. Features receive this object (or the parts they use) and import only `core/`.
 */
export function createAuthCore(deps: AuthCoreDependencies) {
  const { config, logger, db } = deps;
  const clock = deps.clock ?? systemClock;
  const metrics = deps.metrics ?? createMetrics({ service: 'auth' });
  const signInternalToken = createInternalTokenSigner({ secret: config.internalTokenSecret, issuer: 'auth' });
  const verifyInternalToken = createInternalTokenVerifier({ secret: config.internalTokenSecret });

  const smtp = deps.mailer ? null : createSmtpSender(config.mail);
  const mailRelay = smtp ? createMailRelay({ db, send: smtp, logger }) : null;
  mailRelay?.start();
  const mailer = deps.mailer ?? createQueuedMailer({ db, relay: mailRelay! });
  const background = createBackgroundTasks(logger);
  const rateLimiters = createRateLimiters(deps.redis, { keyPrefix: config.rateLimits.keyPrefix });
  const knownClients = createKnownClients({ db, clock });
  const limits = createRateLimitGuard({
    limiters: rateLimiters,
    enabled: config.rateLimits.enabled,
    verifyInternalToken,
    knownClients,
    settings: { dailyMailsPerAddress: config.rateLimits.dailyMailsPerAddress },
  });
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
  const refreshTokens = createRefreshTokenService({
    refreshTokens: refreshTokenRows,
    sessions,
    audit,
    clock,
    // A key of its own, derived from the server secret (domain separation).
    successorSecret: createHmac('sha256', config.otp.hmacSecret).update('refresh-token-successors').digest('hex'),
    ...config.refreshTokens,
  });
  const signIn = createSignIn({
    prepareSession: createSessionOpener({ sessions, refreshTokens }),
    audit,
    writeTogether: (writes) => writeTogether(db, writes),
    revokeSession: (token, reason) => sessions.revoke(token, reason),
    signedInWrites: (email, client) => [knownClients.rememberWrite(email, client)].filter((write) => write !== null),
    onSignedIn: (email, client) => limits.forgetClientOf(email, client),
  });

  /**
   * Signs a user out everywhere (but `exceptSessionId`): every session and its refresh tokens,
   * and every sign-in still waiting on a second factor. Returns how many sessions ended.
   */
  async function signOutEverywhere(userId: string, reason: string, exceptSessionId?: string): Promise<number> {
    const ended = await sessions.revokeAllForUser(userId, reason, exceptSessionId);
    await signIn.abandonPendingSignIns(userId);
    return ended;
  }
  // The relay reads this list on every batch: features add their consumers when they are mounted.
  const eventSubscribers: OutboxSubscriber[] = [{ name: 'users', url: `${config.usersUrl}/internal/events`, topics: ['user.created', 'user.updated'] }];
  const relay = createOutboxRelay({ db, logger, signInternalToken, pollMs: config.outbox.pollMs, subscribers: eventSubscribers });
  const signInMethods = createSignInMethods({ identities });
  const links = createLinkedIdentityRepository(db);
  const linkedIdentities = createLinkedIdentityService({ links, identities, signInMethods, audit, clock, onSignUp: () => relay.wake() });
  signInMethods.use(async (userId) => (await links.listForUser(userId)).map((link) => ({ kind: link.provider, id: link.subject })));
  const accountTokens = createAccountTokenRepository(db);
  const mailboxProof = createMailboxProof({ identities, accountTokens, signOutEverywhere, audit, clock, onSignUp: () => relay.wake() });
  mailboxProof.onProven((userId) => linkedIdentities.retireUnprovenLinks(userId));
  const browserOrigins = [...config.csrf.trustedOrigins, new URL(config.publicUrl).origin];
  const loginChallenges = createChallengeRepository(db);

  const jobs: ScheduledJob[] = [
    {
      // Spent and expired codes and links are kept a day (for support questions), then deleted.
      name: 'purge expired login challenges',
      everyMs: 10 * 60_000,
      run: () => loginChallenges.purgeExpired(new Date(clock.now().getTime() - 86_400_000)),
    },
    { name: 'forget clients not seen for 30 days', everyMs: 60 * 60_000, run: () => knownClients.purgeStale() },
  ];

  return {
    config,
    logger,
    clock,
    db,
    metrics,
    signInternalToken,
    verifyInternalToken,
    limits,
    rateLimiters,
    knownClients,
    audit,
    identities,
    sessions,
    refreshTokens,
    completeSignIn: signIn.completeSignIn,
    useMfaGate: signIn.useMfaGate,
    signOutEverywhere,
    useSignInGuard: signIn.useSignInGuard,
    mailboxProof,
    /** Provider identities and wallet addresses linked to accounts, and the rules that tie them (core/linked-identities). */
    linkedIdentities,
    /** Every way a user can sign in; features add theirs (`AuthModule.signInMethods`). */
    signInMethods,
    mailer,
    /** Sends queued mail to SMTP (absent when a mailer is injected). */
    mailRelay,
    background,
    /** Sends without waiting: for answers that must not depend on whether a mail went out (no enumeration by timing). */
    sendMailInBackground: (mail: OutgoingMail) => background.run(`mail: ${mail.subject}`, () => mailer.send(mail)),
    sendSignInMail: createSignInMailer({ mailer, audit, identities }),
    emailVerification: createEmailVerification({ tokens: accountTokens, clock, mailer, publicUrl: config.publicUrl, hmacSecret: config.otp.hmacSecret }),
    accountTokens,
    loginChallenges,
    users: createUsersClient({ usersUrl: config.usersUrl, signInternalToken, logger }),
    relay,
    /** Delivers some outbox topics to another service too (a feature's consumer, when mounted). */
    addEventSubscriber(subscriber: OutboxSubscriber): void {
      eventSubscribers.push(subscriber);
    },
    sendSignInResult: createSignInResponder({ cookie: config.cookie }),
    /** Origins whose pages may post to auth: the CSRF allow-list plus auth's own public origin. */
    browserOrigins,
    /** The CSRF check every state-changing route runs first (core/http/csrf.ts). */
    verifyRequestOrigin: createOriginCheck({ trustedOrigins: browserOrigins, verifyInternalToken }),
    jobs,
    async close() {
      await relay.stop();
      await mailRelay?.stop();
      smtp?.close();
    },
  };
}

export type AuthCore = ReturnType<typeof createAuthCore>;
