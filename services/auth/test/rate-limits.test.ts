import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Request } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInternalTokenSigner, createInternalTokenVerifier } from '@malet/internal-auth';
import { createRateLimiters } from '../src/core/rate-limit/rate-limiter';
import { createRateLimitGuard } from '../src/core/rate-limit/rate-limit.guard';
import { clientIpKey } from '../src/core/rate-limit/rate-limit.policies';
import { issueDevToken, startAuth, type AuthHarness, type HttpAnswer } from './support';

let auth: AuthHarness;
const limited = { RATE_LIMITS_ENABLED: 'true' };

beforeAll(async () => {
  auth = await startAuth({ env: limited, seed: ['user@example.com'] });
});
afterAll(() => auth?.stop());

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
  it('sends at most 3 codes a minute to one address, whatever the client; the 4th stores and sends nothing', async () => {
    const email = `limited-${randomUUID()}@example.com`;
    for (let i = 0; i < 3; i++) expect((await post(auth, '/auth/email/login/start', { email }, freshIp())).status).toBe(200);
    const before = Number((await auth.rows(sql`select count(*)::int as n from login_challenges where email = ${email}`))[0]!.n);
    const mailsBefore = auth.mail.messages.filter((m) => m.to.includes(email)).length;
    const retryAfter = expectThrottled(await post(auth, '/auth/email/login/start', { email: email.toUpperCase() }, freshIp()));
    expect(retryAfter).toBeLessThanOrEqual(60);
    // The magic-link sender shares the per-address counter: no second channel to mail-bomb with.
    expectThrottled(await post(auth, '/auth/magic-link/start', { email }, freshIp()));
    const after = Number((await auth.rows(sql`select count(*)::int as n from login_challenges where email = ${email}`))[0]!.n);
    expect(after).toBe(before);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(auth.mail.messages.filter((m) => m.to.includes(email)).length).toBe(mailsBefore);
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

  it('holds sign-in to 10 per 10 minutes per account across any number of IPs', async () => {
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

  it('does not throttle the gateway: session validation allows a high rate per IP', async () => {
    const sessionToken = await issueDevToken(auth, 'user@example.com');
    const ip = freshIp();
    const responses = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        i % 2
          ? get(auth, '/auth/validate', ip, { cookie: `session_token=${sessionToken}` })
          : auth.api.post('/validate-token', undefined, { authorization: `Bearer ${sessionToken}`, 'x-forwarded-for': ip }),
      ),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
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

describe('rate limits (memory store, no Redis)', () => {
  it('enforces the same policies in process memory', async () => {
    const local = await startAuth({ redis: false, env: limited });
    try {
      const email = `memory-${randomUUID()}@example.com`;
      for (let i = 0; i < 3; i++) expect((await post(local, '/auth/email/login/start', { email }, freshIp())).status).toBe(200);
      expectThrottled(await post(local, '/auth/email/login/start', { email }, freshIp()));
    } finally {
      await local.stop();
    }
  });
});

describe('the rate-limit guard', () => {
  const secret = 'x'.repeat(40);
  const requestFrom = (ip: string, headers: Record<string, string> = {}) => ({ ip, headers, socket: {} }) as unknown as Request;

  it('exempts callers with a valid internal token where the policy says so, and only them', async () => {
    const guard = createRateLimitGuard({
      limiters: createRateLimiters(null),
      enabled: true,
      verifyInternalToken: createInternalTokenVerifier({ secret }),
    });
    const policy = { checks: [{ rule: { name: 'exempt-test', points: 1, durationSeconds: 60 }, key: clientIpKey }], exemptInternalCallers: true };
    const internal = await createInternalTokenSigner({ secret, issuer: 'gateway' })();
    const forged = await createInternalTokenSigner({ secret: 'y'.repeat(40), issuer: 'gateway' })();

    for (let i = 0; i < 5; i++) await guard.enforce(policy, requestFrom('203.0.113.7', { 'x-internal-token': internal }));
    await guard.enforce(policy, requestFrom('203.0.113.7'));
    await expect(guard.enforce(policy, requestFrom('203.0.113.7', { 'x-internal-token': forged }))).rejects.toMatchObject({ status: 429 });
  });

  it('keys IPv4-mapped IPv6 as IPv4 and IPv6 by /64', () => {
    expect(clientIpKey(requestFrom('::ffff:192.0.2.1'))).toBe('192.0.2.1');
    expect(clientIpKey(requestFrom('2001:db8::1'))).toBe('2001:0db8:0000:0000::/64');
    expect(clientIpKey(requestFrom('2001:db8:0:0:ffff::2'))).toBe('2001:0db8:0000:0000::/64');
    expect(clientIpKey(requestFrom('::1'))).toBe('0000:0000:0000:0000::/64');
  });
});
