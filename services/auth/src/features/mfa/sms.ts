import { mfaErrors } from './mfa.errors';
import type { Logger } from '@malet/logging';
import type { Mailer } from '../../core/mail/mailer';

/** Sends a text message to an E.164 number; throws when the provider did not accept it. */
export interface SmsProvider {
  send(to: string, body: string): Promise<void>;
}

/**
 * Twilio's Messages REST API (`POST /2010-04-01/Accounts/{sid}/Messages.json`, HTTP Basic auth
 * with the account SID and auth token, form-encoded `To`, `From`, `Body`). `apiBaseUrl` points
 * tests at a local server.
 */
export function createTwilioSmsProvider(options: {
  accountSid: string;
  authToken: string;
  from: string;
  apiBaseUrl?: string;
  logger?: Logger;
  timeoutMs?: number;
}): SmsProvider {
  const base = (options.apiBaseUrl ?? 'https://api.twilio.com').replace(/\/+$/, '');
  const url = `${base}/2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}/Messages.json`;
  const authorization = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`;
  return {
    async send(to, body) {
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: new URLSearchParams({ To: to, From: options.from, Body: body }).toString(),
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        });
      } catch (error) {
        options.logger?.error({ err: error }, 'sms provider unreachable');
        throw mfaErrors.smsDeliveryFailed();
      }
      if (!response.ok) {
        // Twilio's error body names the problem (e.g. code 21211, invalid number); the message
        // text and the number stay out of the logs.
        const detail = (await response.json().catch(() => null)) as { code?: number } | null;
        options.logger?.error({ status: response.status, twilioCode: detail?.code }, 'sms provider refused the message');
        throw mfaErrors.smsDeliveryFailed();
      }
      await response.body?.cancel();
    },
  };
}

/**
 * Development: each text becomes an email to `sms+<digits>@sms.malet.localhost`, so it shows up
 * in the mail catcher beside the OTP and magic-link emails.
 */
export function createDevSmsProvider(mailer: Mailer): SmsProvider {
  return {
    async send(to, body) {
      await mailer.send({ to: devSmsAddress(to), subject: `SMS to ${to}`, text: body });
    },
  };
}

export function devSmsAddress(phone: string): string {
  return `sms+${phone.replace(/\D/g, '')}@sms.malet.localhost`;
}
