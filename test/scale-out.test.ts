import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startSmtpCatcher, waitFor, type SmtpCatcher } from '@malet/testing';
import { startSuite, type Suite } from './support/suite';

/**
 * Scale-out as Kubernetes runs it, on one machine: two gateways and two auth replicas sharing
 * Redis and PostgreSQL. Gateway 0 talks to auth replica 0, gateway 1 to replica 1, so a
 * request pair alternating gateways is served by both replicas: whatever must hold across
 * replicas is shown to hold here.
 */
let suite: Suite;
let smtp: SmtpCatcher;
const PASSWORD = 'scale-out-passphrase-2291';

beforeAll(async () => {
  smtp = await startSmtpCatcher();
  suite = await startSuite({
    postgresAdminUrl: inject('postgresAdminUrl'),
    redisUrl: inject('redisUrl'),
    gateways: 2,
    replicas: { auth: 2 },
    env: {
      // A key prefix of its own: the run's Redis is shared with other test files.
      auth: { SMTP_URL: smtp.url, PASSWORD_ARGON2_MEMORY_KIB: '1024', PASSWORD_ARGON2_TIME_COST: '1', PASSWORD_LOCKOUT_THRESHOLD: '3', RATE_LIMIT_KEY_PREFIX: `scale-${Date.now()}` },
      // The test plays distinct clients behind an ingress on loopback, naming each in X-Forwarded-For.
      gateway: { SESSION_CACHE_TTL_MS: '600000', TRUST_PROXY: 'loopback' },
    },
  });
}, 240_000);
afterAll(async () => {
  await suite?.stop();
  await smtp?.stop();
});

const post = (gateway: number, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${suite.gatewayUrls[gateway]}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

async function register(email: string, ip: string) {
  const response = await post(0, '/auth/register', { email, password: PASSWORD }, { 'x-forwarded-for': ip });
  expect(response.status).toBe(201);
}

describe('two gateways and two auth replicas sharing Redis and PostgreSQL', () => {
  it('runs two auth replicas, each gateway on its own', () => {
    expect(suite.replicaUrls.auth).toHaveLength(2);
    expect(suite.replicaUrls.auth![0]).not.toBe(suite.replicaUrls.auth![1]);
    expect(suite.process('auth-1').child.exitCode).toBeNull();
  });

  it('counts a rate limit across replicas: 3 sign-ups per IP per 10 s, alternating replicas, the 4th refused', async () => {
    const ip = '198.51.100.40';
    const statuses = [];
    for (let n = 0; n < 4; n += 1) {
      const response = await post(n % 2, '/auth/register', { email: `limit-${n}-${Date.now()}@example.com`, password: PASSWORD }, { 'x-forwarded-for': ip });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([201, 201, 201, 429]);
  });

  it('locks an account across replicas after 3 failures (2 leave it usable), on either replica', async () => {
    const [nearly, locked] = [`nearly-${Date.now()}@example.com`, `locked-${Date.now()}@example.com`];
    await register(nearly, '198.51.100.41');
    await register(locked, '198.51.100.42');
    const login = (gateway: number, email: string, password: string, n: number) =>
      post(gateway, '/auth/login', { email, password }, { 'x-forwarded-for': `198.51.101.${n}` });

    // Just inside: two failures, one per replica, and the right password still works.
    for (let n = 0; n < 2; n += 1) expect((await login(n % 2, nearly, 'wrong-passphrase-0000', n)).status).toBe(401);
    expect((await login(0, nearly, PASSWORD, 10)).status).toBe(200);

    // Just outside: three failures spread over both replicas lock it everywhere.
    for (let n = 0; n < 3; n += 1) expect((await login(n % 2, locked, 'wrong-passphrase-0000', 20 + n)).status).toBe(401);
    for (const gateway of [0, 1]) {
      const refused = await login(gateway, locked, PASSWORD, 30 + gateway);
      expect(refused.status).toBe(429);
      expect(await refused.json()).toMatchObject({ code: 'auth:password_locked' });
    }
  });

  it('ends a session on both gateways when a logout reaches the other replica', async () => {
    const issued = await post(0, '/auth/dev/token', { email: 'user@example.com' });
    const { session_token: token } = (await issued.json()) as { session_token: string };
    const me = (gateway: number) => suite.graphql('{ me { id } }', { token, url: suite.gatewayUrls[gateway] });
    for (const gateway of [0, 1]) {
      expect((await me(gateway)).errors).toBeUndefined();
      expect((await me(gateway)).errors).toBeUndefined();
    }
    // Straight to replica 1, so neither gateway proxies it: only the broadcast can tell them.
    const logout = await fetch(`${suite.replicaUrls.auth![1]}/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(logout.status).toBe(200);
    for (const gateway of [0, 1]) {
      await waitFor(async () => (await me(gateway)).errors?.[0]?.extensions?.code === 'UNAUTHENTICATED', { timeoutMs: 10_000, what: `gateway ${gateway} to drop the session` });
    }
  });

  it('spends an emailed code once across replicas: issued by one, redeemed by the other, refused on replay and in a race', async () => {
    const email = `otp-${Date.now()}@example.com`;
    await register(email, '198.51.100.43');
    const codeFor = async (since: number) => {
      const mail = await smtp.waitForMail(email, (m) => /sign-in code/i.test(m.subject) && smtp.messages.indexOf(m) >= since);
      return /\b(\d{6})\b/.exec(mail.text)![1]!;
    };

    let since = smtp.messages.length;
    expect((await post(0, '/auth/email/login/start', { email }, { 'x-forwarded-for': '198.51.100.50' })).status).toBe(200);
    const code = await codeFor(since);
    expect((await post(1, '/auth/email/login/finish', { email, code }, { 'x-forwarded-for': '198.51.100.51' })).status).toBe(200);
    const replay = await post(0, '/auth/email/login/finish', { email, code }, { 'x-forwarded-for': '198.51.100.52' });
    expect(replay.status).toBe(401);

    // Both replicas at once with the same fresh code: exactly one session comes out.
    since = smtp.messages.length;
    expect((await post(1, '/auth/email/login/start', { email }, { 'x-forwarded-for': '198.51.100.53' })).status).toBe(200);
    const raced = await codeFor(since);
    const answers = await Promise.all([0, 1].map((gateway) => post(gateway, '/auth/email/login/finish', { email, code: raced }, { 'x-forwarded-for': `198.51.100.6${gateway}` })));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 401]);
  });
});
