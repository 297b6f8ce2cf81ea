import { isIPv4, isIPv6 } from 'node:net';
import type { Request } from 'express';
import { clientAddress } from '../http/request-meta';
import { normalizeEmail } from '../identities/email';
import type { LimitRule } from './rate-limiter';

/**
 * Rate limits for every auth endpoint: one policy table, one middleware.
 *
 * A route names its policy in its declaration (`limit: 'signIn'`, core/http/route.ts); a rule
 * counted once the account is known (an MFA token's owner, the signed-in user) is one of
 * `ACCOUNT_RULES`, consumed with `limits.consume(ACCOUNT_RULES.x, userId)`.
 *
 * A policy is a list of checks; each check counts the request against one rule under one key
 * (the client IP, the email in the body...). A check whose key cannot be read (no email in a
 * malformed body) is skipped: validation rejects that request anyway. Past any limit the answer
 * is 429 with `Retry-After` and the error shape (`rate_limit:exceeded`), before the handler runs,
 * so a throttled request costs no database work and stores nothing.
 *
 * Counters live in Redis when REDIS_URL is set (every replica shares them; rate-limiter-flexible
 * counts atomically there) and in process memory otherwise. Defaults are at least as strict as
 * better-auth's: sign-in and sign-up 3 per 10 s per IP, sending a code or link 3 per minute per
 * address and client, 100 per 10 s per IP for everything else.
 *
 * Limits on an address are keyed by the address AND the client, so strangers hammering someone's
 * address from rotating IPs spend their own counters, not the owner's. Above those, a ceiling per
 * address (and a daily cap on mail to it) bounds what all strangers together can do; clients that
 * signed in to the address recently skip the ceilings (`exceptKnownClients`, known-clients.ts),
 * so the owner's own client keeps working while the address is under attack. A successful
 * sign-in forgets the client's counters for the address and makes the client known.
 */

/** Where a check finds its key; null skips the check for this request. */
export type LimitKey = (req: Request) => string | null;

export interface LimitCheck {
  rule: LimitRule;
  key: LimitKey;
  /**
   * The key is an address (a normalised email): clients that signed in to it recently skip the
   * check (the owner's own client is never held by a ceiling strangers filled).
   */
  exceptKnownClients?: boolean;
}

export interface RateLimitPolicy {
  checks: LimitCheck[];
  /**
   * Callers presenting a valid internal token (`x-internal-token`, signed with the shared
   * INTERNAL_TOKEN_SECRET: the gateway and other services) skip the policy.
   */
  exemptInternalCallers?: boolean;
}

/**
 * The client address as a limiter key. IPv4-mapped IPv6 counts as IPv4, and IPv6 is grouped by
 * its /64 (one subscriber's allocation), so rotating addresses inside a prefix does not reset
 * the counter. The address is the one `clientAddress` determines: the client behind trusted
 * proxies (TRUST_PROXY), never an unparsable forwarded value.
 */
export function clientIpKey(req: Request): string | null {
  const address = clientAddress(req);
  return address ? clientKeyOf(address) : null;
}

/** `clientIpKey` for an address already read from a request (sessions and audit rows carry it). */
export function clientKeyOf(address: string): string {
  const ip = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
  if (isIPv6(ip)) return `${expandIPv6(ip).slice(0, 4).join(':')}::/64`;
  return ip;
}

function expandIPv6(ip: string): string[] {
  const [head = '', tail = ''] = ip.split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = ip.includes('::') && tail ? tail.split(':') : [];
  const missing = 8 - left.length - right.length;
  return [...left, ...Array.from({ length: Math.max(0, missing) }, () => '0'), ...right].map((group) =>
    group.toLowerCase().padStart(4, '0'),
  );
}

/** A string field of the JSON body, trimmed and bounded; null when absent or not a string. */
export function bodyFieldKey(field: string): LimitKey {
  return function readBodyField(req) {
    const value = (req.body as Record<string, unknown> | undefined)?.[field];
    return typeof value === 'string' && value.trim() ? value.trim().slice(0, 320) : null;
  };
}

/** A string field of the JSON body holding an address, in its canonical spelling (`A@x.io` and `a@x.io` share a counter). */
export function bodyAddressKey(field: string): LimitKey {
  return function readBodyAddress(req) {
    const value = (req.body as Record<string, unknown> | undefined)?.[field];
    return typeof value === 'string' && value.trim() ? normalizeEmail(value).slice(0, 320) : null;
  };
}

/** The email of the JSON body. */
export const bodyEmailKey: LimitKey = bodyAddressKey('email');

/** The body's email and the client together (`a@x.io|203.0.113.7`): one client's counter for one address. */
export function addressAndClientKey(addressKey: LimitKey): LimitKey {
  return function readAddressAndClient(req) {
    const address = addressKey(req);
    const client = clientIpKey(req);
    return address && client ? `${address}|${client}` : null;
  };
}

/** The counters of sign-in attempts for one address, as consumed by the signIn policy and forgotten on success. */
export const SIGN_IN_ADDRESS_RULES = {
  /** One client's attempts on one address (forgotten when it signs in). */
  perClient: { name: 'signin:address+client', points: 10, durationSeconds: 600 },
  /** All unknown clients together on one address: bounds online guessing of one account. */
  ceiling: { name: 'signin:address', points: 10, durationSeconds: 600 },
} satisfies Record<string, LimitRule>;

/** The counter of mails one client asked for one address (forgotten when it signs in). */
export const MAIL_PER_CLIENT_RULE: LimitRule = { name: 'send:address+client', points: 3, durationSeconds: 60 };

/**
 * Mail to one address: per client, a per-minute ceiling and a daily share for strangers, and an
 * absolute daily cap. Every endpoint that mails an address the caller names uses these checks.
 */
export function mailToAddressChecks(addressKey: LimitKey, dailyMailsPerAddress: number): LimitCheck[] {
  return [
    { rule: MAIL_PER_CLIENT_RULE, key: addressAndClientKey(addressKey) },
    { rule: { name: 'send:address', points: 10, durationSeconds: 60 }, key: addressKey, exceptKnownClients: true },
    // Strangers may use half the day's mail: the owner's client always has the other half.
    { rule: { name: 'send:address:day:unknown', points: Math.max(1, Math.floor(dailyMailsPerAddress / 2)), durationSeconds: 86_400 }, key: addressKey, exceptKnownClients: true },
    { rule: { name: 'send:address:day', points: dailyMailsPerAddress, durationSeconds: 86_400 }, key: addressKey },
  ];
}


/** Texts to one number and in total (toll fraud, SMS bombing): keyed by the number's hash. */
export const SMS_RULES = {
  perNumber: { name: 'sms:number', points: 5, durationSeconds: 3600 },
  perNumberDaily: { name: 'sms:number:day', points: 10, durationSeconds: 86_400 },
} satisfies Record<string, LimitRule>;

/** The service-wide hourly cap on texts (SMS_GLOBAL_HOURLY_LIMIT). */
export const smsGlobalRule = (points: number): LimitRule => ({ name: 'sms:global', points, durationSeconds: 3600 });

/**
 * Per-account rules, counted after the request's account is known (the per-IP checks of the
 * route's policy run first). Rule names are counter names: `send:address` is the same counter as
 * the sendCode policy's per-address check.
 */
export const ACCOUNT_RULES = {
  /** Answers to one account's MFA challenges, whatever the number of IPs. */
  secondFactor: { name: 'mfa:account', points: 10, durationSeconds: 600 },
  /** MFA enrolment and removal for one signed-in account. */
  manageMfa: { name: 'mfa-manage:account', points: 20, durationSeconds: 600 },
  /** SMS codes texted for one account. */
  sms: { name: 'sms:account', points: 3, durationSeconds: 60 },
  /** Mail sent on a signed-in account's request (resend verification, change email). */
  mailForAccount: { name: 'send:account', points: 3, durationSeconds: 60 },
} satisfies Record<string, LimitRule>;

const perIp = (name: string, points: number, durationSeconds: number, blockSeconds?: number): LimitCheck => ({
  rule: { name: `${name}:ip`, points, durationSeconds, blockSeconds },
  key: clientIpKey,
});

/** What configuration changes in the policy table. */
export interface RateLimitSettings {
  /** MAIL_DAILY_LIMIT_PER_ADDRESS: mails one address may receive a day (strangers get half). */
  dailyMailsPerAddress: number;
}

export const DEFAULT_RATE_LIMIT_SETTINGS: RateLimitSettings = { dailyMailsPerAddress: 50 };

/**
 * The policy table. Rule names are the counter names: two policies naming the same rule share
 * its counter (every sign-in method counts against the same `signin:address`).
 */
export function createRateLimitPolicies(settings: RateLimitSettings) {
  const mailChecks = (addressKey: LimitKey) => mailToAddressChecks(addressKey, settings.dailyMailsPerAddress);
  return {
    /**
     * Anything that turns a first factor into a session: password login, email OTP finish,
     * magic-link verify. Per IP as better-auth; per address and client (10 per 10 minutes), and
     * a ceiling per address for unknown clients that bounds online guessing of one account's codes
     * and passwords whatever the number of IPs (10 per 10 minutes).
     */
    signIn: {
      checks: [
        perIp('signin', 3, 10),
        { rule: SIGN_IN_ADDRESS_RULES.perClient, key: addressAndClientKey(bodyEmailKey) },
        { rule: SIGN_IN_ADDRESS_RULES.ceiling, key: bodyEmailKey, exceptKnownClients: true },
      ],
    },
    /**
     * Starting a passkey ceremony (`/auth/passkey/login/start`): it stores a short-lived challenge,
     * and the sign-in page asks for one on every load (passkey autofill), so it is looser than
     * sign-in but bounded per IP.
     */
    passkeyChallenge: { checks: [perIp('passkey-challenge', 30, 60)] },
    /**
     * Sign-ins whose proof comes from elsewhere: a provider's callback, the mobile token exchange, a
     * wallet's signature. Nothing here can be guessed (256-bit states, provider-signed tokens,
     * signatures), so the limit guards the calls each one makes to the provider, and stays loose
     * enough for many phones behind one carrier address: 20 per 10 s per IP.
     */
    providerSignIn: { checks: [perIp('provider-signin', 20, 10)] },
    /** Creating an account: `/auth/register`, which mails the address (a verification, or "you already have an account"). */
    signUp: { checks: [perIp('signup', 3, 10), ...mailChecks(bodyEmailKey)] },
    /**
     * Anything that sends an email: OTP start, magic-link start, forgot-password, resend
     * verification (whose address is the account's, counted per account by its handler). The
     * address checks stop mail-bombing one inbox; the IP limit stops one client from mailing
     * many addresses.
     */
    sendCode: { checks: [perIp('send', 10, 60), ...mailChecks(bodyEmailKey)] },
    /** Requesting an email change: a sensitive change that also mails the new address it names. */
    emailChange: { checks: [perIp('sensitive', 3, 10), ...mailChecks(bodyAddressKey('new_email'))] },
    /** Redeeming an emailed token outside sign-in: reset-password, verify-email, confirm-email-change. */
    redeemToken: { checks: [perIp('redeem', 5, 10)] },
    /** Answering an MFA challenge: TOTP, SMS or backup code (the challenge's own attempt limit still applies). */
    secondFactor: { checks: [perIp('mfa', 3, 10)] },
    /** Changing credentials of a signed-in account: change-password, change-email, MFA enroll/disable. */
    sensitive: { checks: [perIp('sensitive', 3, 10)] },
    /**
     * `GET /auth/email/check` and `/auth/phone/check` reveal whether an account exists (the seed
     * asks for them), so they are held tight: 10 per minute per IP makes harvesting slow.
     */
    identifierCheck: { checks: [perIp('identifier-check', 10, 60)] },
    /**
     * `GET /auth/validate` and `POST /validate-token` are called by the gateway for every request
     * whose credential is not in its cache, so every browser behind one gateway process shares its
     * IP: a per-IP limit as strict as sign-in would throttle the whole platform. Two defences make
     * a generous limit safe: tokens are 256-bit random values (guessing is hopeless, so the limit
     * guards load, not secrecy), and the gateway caches answers (positive and negative). The limit
     * here (1,000 per second per IP) stops a direct flood from one client; callers that present a
     * valid internal token (the gateway, other services) are exempt altogether, so the gateway is
     * never throttled once it sends one (today's session-client validator does not yet, so the
     * per-IP ceiling is what applies to it). Browser requests the gateway proxies carry
     * X-Forwarded-For and count against the browser's own IP when the gateway is a trusted hop
     * (TRUST_PROXY).
     */
    sessionValidation: { checks: [perIp('validate', 10_000, 10)], exemptInternalCallers: true },
    /** Session housekeeping for a signed-in caller: `/me`, refresh, logout, session lists. */
    session: { checks: [perIp('session', 100, 10)] },
    /** `POST /auth/dev/token` (dev mode only): generous, but not unbounded. */
    devToken: { checks: [perIp('dev-token', 30, 10)] },
    /**
     * Pages and scripts that touch no storage (the magic-link page): nothing to protect, and a
     * mail scanner opening a link repeatedly must not spend the visitor's allowance either.
     */
    staticPage: { checks: [] },
    /** Everything else: OpenAPI docs, status reads (better-auth's global default). */
    standard: { checks: [perIp('standard', 100, 10)] },
  } satisfies Record<string, RateLimitPolicy>;
}

export type RateLimitPolicies = ReturnType<typeof createRateLimitPolicies>;
export type RateLimitPolicyName = keyof RateLimitPolicies;

/** The table with default settings: what the OpenAPI document describes. */
export const RATE_LIMIT_POLICIES = createRateLimitPolicies(DEFAULT_RATE_LIMIT_SETTINGS);
