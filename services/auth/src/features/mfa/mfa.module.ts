import { createHash } from 'node:crypto';
import type { AuthCore } from '../../core/core';
import type { AuthModule } from '../../core/module';
import { SMS_RULES, smsGlobalRule } from '../../core/rate-limit/rate-limit.policies';
import { createSecretBox } from '../../core/secret-box';
import type { MfaConfig } from './mfa.config';
import { createMfaRepository } from './mfa.repository';
import { createMfaResolvers } from './mfa.resolvers';
import { mfaRoutes } from './mfa.routes';
import { createMfaService } from './mfa.service';
import { createDevSmsProvider, createTwilioSmsProvider, type SmsProvider } from './sms';

/** Twilio, the dev provider that mails texts to the catcher, or none (SMS off). */
function smsProviderFor(config: MfaConfig['sms'], core: AuthCore): SmsProvider | null {
  if (config.provider === 'twilio') return createTwilioSmsProvider({ ...config, logger: core.logger });
  return config.provider === 'dev' ? createDevSmsProvider(core.mailer) : null;
}

/** The caps on texts: per number (its hash is the key: no number sits in Redis) and service-wide. */
function textLimiter(core: AuthCore, globalHourlyLimit: number) {
  const globalRule = smsGlobalRule(globalHourlyLimit);
  return async function limitText(phone: string): Promise<void> {
    const number = createHash('sha256').update(`sms-number:${phone}`).digest('hex');
    await core.limits.consume(SMS_RULES.perNumber, number);
    await core.limits.consume(SMS_RULES.perNumberDaily, number);
    await core.limits.consume(globalRule, 'all');
  };
}

/**
 * Seed 000's MFA table: TOTP, SMS and backup codes, enrolled by the signed-in user and asked
 * for by `completeSignIn` (this module provides its MFA gate) after every first factor.
 */
export function createMfaModule(core: AuthCore, config: MfaConfig, sms?: SmsProvider) {
  const service = createMfaService({
    mfa: createMfaRepository(core.db),
    sessions: core.sessions,
    identities: core.identities,
    completeSignIn: core.completeSignIn,
    audit: core.audit,
    secretBox: createSecretBox({ current: config.encryptionKey, previous: config.previousEncryptionKeys }),
    sms: sms ?? smsProviderFor(config.sms, core),
    limitText: textLimiter(core, config.smsGlobalHourlyLimit),
    codeSecret: core.config.otp.hmacSecret,
    clock: core.clock,
  });
  return {
    name: 'mfa',
    routes: mfaRoutes(core, service),
    resolvers: createMfaResolvers(service),
    mfaGate: service.gate,
    onMailboxProven: service.removeUnprovenFactors,
    service,
  } satisfies AuthModule & Record<string, unknown>;
}
