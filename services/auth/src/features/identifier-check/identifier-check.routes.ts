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
 */
export function identifierCheckRoutes(core: Pick<AuthCore, 'identities'>) {
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
      summary: 'Whether an account exists for an E.164 phone number (reveals existence by design; 10 per minute per IP)',
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
  ];
}
