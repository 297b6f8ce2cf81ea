import type { Request } from 'express';
import { z } from 'zod';
import type { AuthCore } from '../../core/core';
import { defineRoute } from '../../core/http/route';
import { emailField, normalizeEmail } from '../../core/identities/email';

/** E.164: `+`, a country code that does not start with 0, at most 15 digits. */
export const e164Phone = z
  .string()
  .regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +14155550123')
  .meta({ example: '+14155550123' });

/**
 * In a query string an unencoded `+` arrives as a space (`?phone=+14155550123` as typed into
 * curl), so a leading space before digits is read back as the `+` it was.
 */
function restorePlus(req: Request): unknown {
  const value = req.query.phone;
  return { ...req.query, phone: typeof value === 'string' && /^ \d/.test(value) ? `+${value.slice(1)}` : value };
}

export const emailCheckQuery = z.object({ email: emailField });
export const phoneCheckQuery = z.object({ phone: e164Phone });
export const existsBody = z.object({ exists: z.boolean() });

/**
 * `GET /auth/email/check` and `GET /auth/phone/check` (seed 000). Unlike every other auth
 * endpoint, these answer whether an account exists: sign-up forms need it, and the seed asks for
 * it. The trade-off is enumeration, so the `identifierCheck` policy holds them to 10 requests a
 * minute per IP (harvesting a list of addresses becomes slow and visible) and the answers are
 * never cached by intermediaries. The sign-in flows themselves stay enumeration-proof.
 *
 * A phone number is listed on an account only when its holder proved it (the texted code of SMS
 * enrolment) and asked for it (`list_phone: true` at `POST /auth/mfa/sms/confirm`): never
 * silently from MFA, since the check tells anyone that the number has an account here. The last
 * account to prove a number holds its listing (numbers are recycled); the holder takes it off
 * with `DELETE /auth/phone`, and it goes when MFA is turned off or the mailbox owner evicts an
 * unproven holder.
 */
export function identifierCheckRoutes(core: Pick<AuthCore, 'identities' | 'audit' | 'clock'>) {
  return [
    defineRoute({
      method: 'get',
      path: '/auth/email/check',
      summary: 'Whether an account exists for an email (reveals existence by design; 10 per minute per IP)',
      tags: ['Email OTP'],
      access: 'public',
      limit: 'identifierCheck',
      query: emailCheckQuery,
      responses: { 200: { description: 'Whether the email belongs to an account', body: existsBody } },
      async handle({ query }) {
        return { exists: (await core.identities.findByEmail(normalizeEmail(query.email))) !== null };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/auth/phone/check',
      summary:
        'Whether an E.164 phone number is listed on an account: proven by its holder with a texted code and listed at their request (POST /auth/mfa/sms/confirm with list_phone: true). Reveals existence by design; 10 per minute per IP',
      tags: ['Email OTP'],
      access: 'public',
      limit: 'identifierCheck',
      query: phoneCheckQuery,
      readQuery: restorePlus,
      responses: { 200: { description: 'Whether the phone number belongs to an account', body: existsBody } },
      async handle({ query }) {
        return { exists: (await core.identities.findByPhone(query.phone)) !== null };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/auth/phone',
      summary: "Take my phone number's listing off (GET /auth/phone/check no longer finds it); an SMS factor stays",
      tags: ['Email OTP'],
      access: 'session',
      limit: 'session',
      responses: { 200: { description: 'Not listed (whether or not it was)', body: z.object({ phone_listed: z.literal(false) }) } },
      async handle({ session, meta }) {
        if (await core.identities.unlistPhone(session.userId, core.clock.now())) {
          await core.audit.record({ type: 'account.phone_unlisted', outcome: 'success', userId: session.userId, ...meta });
        }
        return { phone_listed: false as const };
      },
    }),
  ];
}
