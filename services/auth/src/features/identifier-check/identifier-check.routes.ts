import { Router } from 'express';
import { z } from 'zod';
import { validate } from '@malet/http-server';
import type { IdentityRepository } from '../data/identity.repository';
import { normalizeEmail } from '../domain/email';
import { emailField } from './email-otp.routes';
import { documentRoute } from './openapi';
import type { RateLimitGuard } from './rate-limit';

/** E.164: `+`, a country code that does not start with 0, at most 15 digits. */
export const e164Phone = z
  .string()
  .regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +14155550123')
  .meta({ example: '+14155550123' });

/**
 * In a query string an unencoded `+` arrives as a space (`?phone=+14155550123` as typed into
 * curl), so a leading space before digits is read back as the `+` it was.
 */
function restorePlus(value: unknown): unknown {
  return typeof value === 'string' && /^ \d/.test(value) ? `+${value.slice(1)}` : value;
}

export const emailCheckQuery = z.object({ email: emailField });
export const phoneCheckQuery = z.object({ phone: e164Phone });
export const existsBody = z.object({ exists: z.boolean() });

documentRoute({
  method: 'get',
  path: '/auth/email/check',
  summary: 'Whether an account exists for an email (reveals existence by design; 10 per minute per IP)',
  tags: ['Email OTP'],
  auth: 'none',
  query: emailCheckQuery,
  responses: {
    200: { description: 'Whether the email belongs to an account', body: existsBody },
    400: { description: 'Invalid email' },
    429: { description: 'Too many checks (Retry-After)' },
  },
});
documentRoute({
  method: 'get',
  path: '/auth/phone/check',
  summary: 'Whether an account exists for an E.164 phone number (reveals existence by design; 10 per minute per IP)',
  tags: ['Email OTP'],
  auth: 'none',
  query: phoneCheckQuery,
  responses: {
    200: { description: 'Whether the phone number belongs to an account', body: existsBody },
    400: { description: 'Not an E.164 number' },
    429: { description: 'Too many checks (Retry-After)' },
  },
});

/**
 * `GET /auth/email/check` and `GET /auth/phone/check` (seed 000). Unlike every other auth
 * endpoint, these answer whether an account exists: sign-up forms need it, and the seed asks for
 * it. The trade-off is enumeration, so the `identifierCheck` policy holds them to 10 requests a
 * minute per IP (harvesting a list of addresses becomes slow and visible) and the answers are
 * never cached by intermediaries. The sign-in flows themselves stay enumeration-proof.
 */
export function emailCheckRoutes(deps: { identities: Pick<IdentityRepository, 'findByEmail' | 'findByPhone'>; limits: RateLimitGuard }): Router {
  const router = Router();

  router.get('/auth/email/check', deps.limits.limit('identifierCheck'), async function checkEmailExists(req, res) {
    const { email } = validate(emailCheckQuery, req.query);
    const identity = await deps.identities.findByEmail(normalizeEmail(email));
    res.setHeader('Cache-Control', 'no-store');
    res.json({ exists: identity !== null });
  });

  router.get('/auth/phone/check', deps.limits.limit('identifierCheck'), async function checkPhoneExists(req, res) {
    const { phone } = validate(phoneCheckQuery, { ...req.query, phone: restorePlus(req.query.phone) });
    const identity = await deps.identities.findByPhone(phone);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ exists: identity !== null });
  });

  return router;
}
