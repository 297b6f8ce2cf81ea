import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import { createInternalTokenSigner, createInternalTokenVerifier } from '@malet/internal-auth';
import { createRateLimiters } from '../src/core/rate-limit/rate-limiter';
import { createRateLimitGuard, type RateLimitGuard } from '../src/core/rate-limit/rate-limit.guard';
import { clientIpKey, type RateLimitPolicy, type RateLimitPolicyName } from '../src/core/rate-limit/rate-limit.policies';
import { STRONG, readVerification, startAuth, startAuthForFile, type AuthHarness, type HttpAnswer } from './support';

const limited = { RATE_LIMITS_ENABLED: 'true' };
const { auth } = startAuthForFile({ env: limited, seed: ['user@example.com'] });

let nextIp = 1;
/** A distinct client address per test: the loopback hop is a trusted proxy, so X-Forwarded-For counts. */
const freshIp = () => `198.51.100.${nextIp++}`;

const post = (instance: AuthHarness, path: string, body: unknown, ip: string) => instance.api.post(path, body, { 'x-forwarded-for': ip });
const get = (instance: AuthHarness, path: string, ip: string, headers: Record<string, string> = {}) => instance.api.get(path, { 'x-forwarded-for': ip, ...headers });

function expectThrottled(response: HttpAnswer) {
  expect(response.status).toBe(429);
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(response.body).toMatchObject({ status: 429, code: 'rate_limit:exceeded' });
  return retryAfter;
}

describe('rate limits (Redis store)', () => {
  it('sends at most 3 codes a minute to one address from one client, and 10 from all strangers together; a refused send stores and sends nothing', async () => {
    const email = `limited-${randomUUID()}@example.com`;
    const client = freshIp();
    for (let i = 0; i < 3; i++) expect((await post(auth, '/auth/email/login/start', { email }, client)).status).toBe(200);
    const before = Number((await auth.rows(sql`select count(*)::int as n from login_challenges where email = ${email}`))[0]!.n);
    const mailsBefore = await auth.mailCount();
    const retryAfter = expectThrottled(await post(auth, '/auth/email/login/start', { email: email.toUpperCase() }, client));
    expect(retryAfter).toBeLessThanOrEqual(60);
    // The magic-link sender shares the counters: no second channel to mail-bomb with.
    expectThrottled(await post(auth, '/auth/magic-link/start', { email }, client));
    const after = Number((await auth.rows(sql`select count(*)::int as n from login_challenges where email = ${email}`))[0]!.n);
    expect(after).toBe(before);
    await auth.expectNoMail(email, mailsBefore);
    // Other clients have their own counters, up to the address's ceiling of 10 a minute for strangers.
    for (let i = 0; i < 7; i++) expect((await post(auth, '/auth/magic-link/start', { email }, freshIp())).status).toBe(200);
    expectThrottled(await post(auth, '/auth/email/login/start', { email }, freshIp()));
  });

  it('holds sign-in to 3 per 10 s per IP', async () => {
    const ip = freshIp();
    for (let i = 0; i < 3; i++) {
      const response = await post(auth, '/auth/email/login/finish', { email: `ip-${i}@example.com`, code: '000000' }, ip);
      expect(response.status).toBe(401);
    }
    const retryAfter = expectThrottled(await post(auth, '/auth/email/login/finish', { email: 'ip-4@example.com', code: '000000' }, ip));
    expect(retryAfter).toBeLessThanOrEqual(10);
    // Magic-link verification is a sign-in too and shares the IP counter.
    expectThrottled(await post(auth, '/auth/magic-link/verify', { token: `ml_${'a'.repeat(43)}` }, ip));
    // Another client is unaffected.
    expect((await post(auth, '/auth/email/login/finish', { email: 'ip-5@example.com', code: '000000' }, freshIp())).status).toBe(401);
  });

  it('holds sign-in to 10 per 10 minutes per account across any number of unknown IPs', async () => {
    const email = `target-${randomUUID()}@example.com`;
    for (let i = 0; i < 10; i++) {
      expect((await post(auth, '/auth/email/login/finish', { email, code: '000000' }, freshIp())).status).toBe(401);
    }
    expectThrottled(await post(auth, '/auth/email/login/finish', { email, code: '000000' }, freshIp()));
  });

  it('holds the existence checks to 10 a minute per IP, grouping IPv6 clients by /64', async () => {
    const ip = freshIp();
    for (let i = 0; i < 10; i++) expect((await get(auth, '/auth/email/check?email=user@example.com', ip)).status).toBe(200);
    expectThrottled(await get(auth, '/auth/phone/check?phone=%2B14155550123', ip));

    for (let i = 0; i < 10; i++) {
      expect((await get(auth, `/auth/email/check?email=user@example.com`, `2001:db8:aa:1::${i + 1}`)).status).toBe(200);
    }
    expectThrottled(await get(auth, '/auth/email/check?email=user@example.com', '2001:db8:aa:1:ffff::9'));
    expect((await get(auth, '/auth/email/check?email=user@example.com', '2001:db8:aa:2::1')).status).toBe(200);
  });

  it('limits the existing dev-token and session endpoints too', async () => {
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) statuses.push((await post(auth, '/auth/dev/token', { email: 'user@example.com' }, ip)).status);
    expect(statuses.slice(0, 30).every((status) => status === 200)).toBe(true);
    expect(statuses[30]).toBe(429);

    const sessionIp = freshIp();
    const results = await Promise.all(Array.from({ length: 101 }, () => get(auth, '/me', sessionIp)));
    expect(results.filter((r) => r.status === 401)).toHaveLength(100);
    expect(results.filter((r) => r.status === 429)).toHaveLength(1);
  });

  it('shares counters between replicas through Redis', async () => {
    const prefix = `test:shared:${randomUUID()}`;
    const [a, b] = await Promise.all([
      startAuth({ env: { ...limited, RATE_LIMIT_KEY_PREFIX: prefix } }),
      startAuth({ env: { ...limited, RATE_LIMIT_KEY_PREFIX: prefix } }),
    ]);
    try {
      const ip = freshIp();
      const check = (instance: AuthHarness) => get(instance, '/auth/email/check?email=user@example.com', ip);
      for (let i = 0; i < 5; i++) {
        expect((await check(a)).status).toBe(200);
        expect((await check(b)).status).toBe(200);
      }
      expectThrottled(await check(a));
      expectThrottled(await check(b));
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});

/** Asks for a sign-in code from `ip` and reads it out of the mail. */
async function codeFrom(instance: AuthHarness, email: string, ip: string): Promise<string> {
  // Counted once the queue has settled: an earlier request's mail arriving late is never taken for this one.
  const before = await instance.mailCount();
  expect((await post(instance, '/auth/email/login/start', { email }, ip)).status).toBe(200);
  const message = await instance.mail.waitForMail(email, (m) => instance.mail.messages.indexOf(m) >= before && /sign-in code/.test(m.subject));
  return /\b(\d{6})\b/.exec(message.text)![1]!;
}

describe('an address under attack: strangers are held, the owner\'s own client keeps working', () => {
  it('while rotating IPs exhaust the address\'s ceilings (codes, sign-ins, passwords), the client that signed in before still gets codes and signs in by code and by password', async () => {
    const email = `owner-${randomUUID()}@example.com`;
    const owner = freshIp();
    // The owner registers, verifies and signs in once from their own client: it becomes known.
    const registered = await post(auth, '/auth/register', { email, password: STRONG }, owner);
    expect(registered.status).toBe(201);
    const { token } = readVerification((await auth.mail.waitForMail(email, (m) => /Verify your/.test(m.subject))).text);
    expect((await post(auth, '/auth/verify-email', { token, password: STRONG }, owner)).status).toBe(200);
    expect((await post(auth, '/auth/login', { email, password: STRONG }, owner)).status).toBe(200);

    // An attacker from rotating IPs: mail requests, wrong codes and wrong passwords against the address.
    const attacker: HttpAnswer[] = [];
    for (let i = 0; i < 12; i++) attacker.push(await post(auth, '/auth/email/login/start', { email }, freshIp()));
    for (let i = 0; i < 12; i++) attacker.push(await post(auth, '/auth/email/login/finish', { email, code: '000000' }, freshIp()));
    for (let i = 0; i < 6; i++) attacker.push(await post(auth, '/auth/login', { email, password: `guess-${i}-attacker` }, freshIp()));
    // One way: the strangers are held (the ceilings and the password lockout). The owner's
    // registration mail and first sign-in counted against the ceilings too: that client was a
    // stranger then. So 9 of 12 get through each ceiling.
    expect(attacker.slice(0, 12).filter((answer) => answer.status === 429)).toHaveLength(3);
    expect(attacker.slice(12, 24).filter((answer) => answer.status === 429)).toHaveLength(3);
    expect(attacker.slice(24).some((answer) => answer.body.code === 'auth:password_locked' || answer.status === 429)).toBe(true);
    expectThrottled(await post(auth, '/auth/email/login/start', { email }, freshIp()));
    expect((await post(auth, '/auth/login', { email, password: STRONG }, freshIp())).status).toBe(429);

    // The other way: the owner's own client is not.
    const code = await codeFrom(auth, email, owner);
    expect((await post(auth, '/auth/email/login/finish', { email, code }, owner)).body).toMatchObject({ session_token: expect.stringMatching(/^sess_/) });
    expect((await post(auth, '/auth/login', { email, password: STRONG }, owner)).body).toMatchObject({ session_token: expect.stringMatching(/^sess_/) });
  });

  it("a successful sign-in starts the client's counters for the address again", async () => {
    const email = `reset-${randomUUID()}@example.com`;
    const client = freshIp();
    await codeFrom(auth, email, client);
    await codeFrom(auth, email, client);
    const code = await codeFrom(auth, email, client);
    expectThrottled(await post(auth, '/auth/email/login/start', { email }, client));
    expect((await post(auth, '/auth/email/login/finish', { email, code }, client)).status).toBe(200);
    expect((await post(auth, '/auth/email/login/start', { email }, client)).status).toBe(200);
  });

  it('caps the mail to one address a day (MAIL_DAILY_LIMIT_PER_ADDRESS): strangers get half, the rest is for known clients', async () => {
    const local = await startAuth({ env: { ...limited, MAIL_DAILY_LIMIT_PER_ADDRESS: '6' } });
    try {
      const email = `daily-${randomUUID()}@example.com`;
      const [first, second] = [freshIp(), freshIp()];
      // Two clients of the owner sign in once (one mail each, counted).
      for (const ip of [first, second]) {
        const code = await codeFrom(local, email, ip);
        expect((await post(local, '/auth/email/login/finish', { email, code }, ip)).status).toBe(200);
      }
      // Strangers: 3 of the day's 6 (2 went to the owner's first sign-ins while their clients were strangers too).
      expect((await post(local, '/auth/magic-link/start', { email }, freshIp())).status).toBe(200);
      expectThrottled(await post(local, '/auth/magic-link/start', { email }, freshIp()));
      // Known clients use the rest of the day's cap, and no more.
      expect((await post(local, '/auth/magic-link/start', { email }, first)).status).toBe(200);
      expect((await post(local, '/auth/magic-link/start', { email }, second)).status).toBe(200);
      expect((await post(local, '/auth/magic-link/start', { email }, first)).status).toBe(200);
      expectThrottled(await post(local, '/auth/magic-link/start', { email }, second));
    } finally {
      await local.stop();
    }
  });
});

describe('per-client limits behind proxies', () => {
  it('counts a client whose X-Forwarded-For is no address against the hop that forwarded it: rotating garbage never earns a fresh bucket', async () => {
    // Behind the trusted loopback hop, every request below is the hop's: the 11th is throttled.
    const local = await startAuth({ env: limited });
    try {
      const garbage = ['garbage', 'not-an-ip', '198.51.100.1:443', '', ' , ', '999.1.1.1', '::ffff:zz', 'unknown', 'x'.repeat(60), '%00', 'again'];
      const answers = [];
      for (const value of garbage) answers.push(await local.api.get('/auth/email/check?email=user@example.com', { 'x-forwarded-for': value }));
      expect(answers.slice(0, 10).map((answer) => answer.status)).toEqual(Array(10).fill(200));
      expectThrottled(answers[10]!);
      // A well-formed client behind the same hop still has its own allowance.
      expect((await local.api.get('/auth/email/check?email=user@example.com', { 'x-forwarded-for': freshIp() })).status).toBe(200);
    } finally {
      await local.stop();
    }
  });

  it('with TRUST_PROXY=hops:1, keys on the address the proxy appended: forged entries to its left change nothing', async () => {
    const local = await startAuth({ env: { ...limited, TRUST_PROXY: 'hops:1' } });
    try {
      const client = freshIp();
      const forged = (i: number) => ({ 'x-forwarded-for': `203.0.113.${i}, ${client}` });
      for (let i = 0; i < 10; i++) expect((await local.api.get('/auth/email/check?email=user@example.com', forged(i))).status).toBe(200);
      expectThrottled(await local.api.get('/auth/email/check?email=user@example.com', forged(99)));
      expect((await local.api.get('/auth/email/check?email=user@example.com', { 'x-forwarded-for': `${client}, ${freshIp()}` })).status).toBe(200);
    } finally {
      await local.stop();
    }
  });
});

describe('rate limits (memory store, no Redis)', () => {
  it('enforces the same policies in process memory', async () => {
    const local = await startAuth({ redis: false, env: limited });
    try {
      const email = `memory-${randomUUID()}@example.com`;
      const client = freshIp();
      for (let i = 0; i < 3; i++) expect((await post(local, '/auth/email/login/start', { email }, client)).status).toBe(200);
      expectThrottled(await post(local, '/auth/email/login/start', { email }, client));
    } finally {
      await local.stop();
    }
  });
});

describe('the rate-limit guard', () => {
  const secret = 'x'.repeat(40);
  const requestFrom = (ip: string, headers: Record<string, string> = {}) => ({ ips: [], headers, socket: { remoteAddress: ip } }) as unknown as Request;

  const ip = '203.0.113.7';
  const guardWithMemoryCounters = () =>
    createRateLimitGuard({ limiters: createRateLimiters(null), enabled: true, verifyInternalToken: createInternalTokenVerifier({ secret }) });
  /** A policy of three requests a minute per IP, with or without the internal-caller exemption. */
  const threePerMinute = (exemptInternalCallers: boolean): RateLimitPolicy => ({
    checks: [{ rule: { name: `exempt-test:${randomUUID()}`, points: 3, durationSeconds: 60 }, key: clientIpKey }],
    exemptInternalCallers,
  });
  /** Sends `count` requests from one IP through the guard: 'pass', or the status it was refused with. */
  async function outcomes(guard: RateLimitGuard, policy: RateLimitPolicy | RateLimitPolicyName, count: number, headers: Record<string, string> = {}) {
    const results: string[] = [];
    for (let i = 0; i < count; i++) {
      results.push(await guard.enforce(policy, requestFrom(ip, headers)).then(() => 'pass', (error: { status?: number }) => String(error.status)));
    }
    return results;
  }

  it('exempts callers with a valid internal token from a policy that throttles everyone else at its limit', async () => {
    const guard = guardWithMemoryCounters();
    const policy = threePerMinute(true);
    const internal = { 'x-internal-token': await createInternalTokenSigner({ secret, issuer: 'gateway' })() };

    // More requests than the limit with a valid token all pass, and count for nothing...
    expect(await outcomes(guard, policy, 5, internal)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass']);
    // ...since the same number without it, from the same IP, is throttled at the limit.
    expect(await outcomes(guard, policy, 5)).toEqual(['pass', 'pass', 'pass', '429', '429']);
    // With its IP over the limit, the internal caller still passes.
    expect(await outcomes(guard, policy, 2, internal)).toEqual(['pass', 'pass']);
  });

  it('exempts nobody for a forged internal token, nor where the policy grants no exemption', async () => {
    const guard = guardWithMemoryCounters();
    const forged = { 'x-internal-token': await createInternalTokenSigner({ secret: 'y'.repeat(40), issuer: 'gateway' })() };
    expect(await outcomes(guard, threePerMinute(true), 4, forged)).toEqual(['pass', 'pass', 'pass', '429']);
    const internal = { 'x-internal-token': await createInternalTokenSigner({ secret, issuer: 'gateway' })() };
    expect(await outcomes(guard, threePerMinute(false), 4, internal)).toEqual(['pass', 'pass', 'pass', '429']);
  });

  it('holds session validation (both routes) to 10,000 requests per IP, from which internal callers are exempt', async () => {
    const validationRoutes = auth.routes.filter((route) => ['/auth/validate', '/validate-token'].includes(route.path));
    expect(validationRoutes.map((route) => `${route.method} ${route.path} ${route.limit}`).sort()).toEqual([
      'get /auth/validate sessionValidation',
      'post /validate-token sessionValidation',
    ]);
    const guard = guardWithMemoryCounters();
    const internal = { 'x-internal-token': await createInternalTokenSigner({ secret, issuer: 'gateway' })() };
    const tally = (results: string[]) => results.reduce<Record<string, number>>((counts, result) => ({ ...counts, [result]: (counts[result] ?? 0) + 1 }), {});
    expect(tally(await outcomes(guard, 'sessionValidation', 10_001))).toEqual({ pass: 10_000, 429: 1 });
    expect(tally(await outcomes(guard, 'sessionValidation', 10_001, internal))).toEqual({ pass: 10_001 });
  });

  it('keys IPv4-mapped IPv6 as IPv4 and IPv6 by /64', () => {
    expect(clientIpKey(requestFrom('::ffff:192.0.2.1'))).toBe('192.0.2.1');
    expect(clientIpKey(requestFrom('2001:db8::1'))).toBe('2001:0db8:0000:0000::/64');
    expect(clientIpKey(requestFrom('2001:db8:0:0:ffff::2'))).toBe('2001:0db8:0000:0000::/64');
    expect(clientIpKey(requestFrom('::1'))).toBe('0000:0000:0000:0000::/64');
  });
});
