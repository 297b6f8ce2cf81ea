/**
 * Passkey sign-in next to email-code sign-in, in one run on one machine: each sign-in is two
 * HTTP requests over loopback against the real auth app on a real PostgreSQL (start, then
 * finish), for existing accounts. A passkey sign-in is `login/start` (a stored challenge), an
 * assertion signed by a software authenticator (node:crypto P-256, in this process), and
 * `login/finish` (challenge spent, signature verified by @simplewebauthn/server, counter moved,
 * session and audit row). An email-code sign-in is `email/login/start` (a stored code and a
 * mail handed to an in-process mailer) and `email/login/finish`. Rate limits are off.
 * BENCH_PASSKEY_COUNT sets the sign-ins per row (default 1000).
 */
import { createSoftwareAuthenticator, registerPasskey, type SoftwareAuthenticator } from '../services/auth/src/features/passkeys/passkey.fixtures';
import { startBenchAuth } from './auth-instance';
import { opsPerSecond, type BenchSection } from './lib';

export async function run(): Promise<BenchSection> {
  const count = Number(process.env.BENCH_PASSKEY_COUNT ?? 1000);
  const concurrency = 16;
  const codes = new Map<string, string>();
  const instance = await startBenchAuth({
    name: 'bench_passkeys',
    mailer: {
      async send(mail) {
        codes.set(mail.to, /\b(\d{6})\b/.exec(mail.text)![1]!);
      },
    },
  });
  const { auth, url } = instance;
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as never };
  };
  const api = { post };

  try {
    // Accounts with one passkey each (registered through the API), used by both rows.
    const emails = Array.from({ length: count }, (_, i) => `passkey-${i}@bench.example.com`);
    const authenticators: SoftwareAuthenticator[] = [];
    await opsPerSecond(count, concurrency, async (i) => {
      const { identity } = await auth.identities.createWithEvent({ email: emails[i]!, verified: true });
      const session = await auth.core.sessions.issue({ userId: identity.id, amr: ['bench'], ip: null, userAgent: null });
      const authenticator = createSoftwareAuthenticator({ origin: new URL(instance.config.publicUrl).origin });
      await registerPasskey(api, { authorization: `Bearer ${session.token}` }, authenticator);
      authenticators[i] = authenticator;
    });

    const passkeyRps = await opsPerSecond(count, concurrency, async (i) => {
      const start = await post('/auth/passkey/login/start', {});
      const finish = await post('/auth/passkey/login/finish', authenticators[i]!.assert((start.body as { publicKey: never }).publicKey));
      if (finish.status !== 200) throw new Error(`passkey finish answered ${finish.status}`);
    });

    const emailRps = await opsPerSecond(count, concurrency, async (i) => {
      const start = await post('/auth/email/login/start', { email: emails[i] });
      if (start.status !== 200) throw new Error(`email start answered ${start.status}`);
      const finish = await post('/auth/email/login/finish', { email: emails[i], code: codes.get(emails[i]!) });
      if (finish.status !== 200) throw new Error(`email finish answered ${finish.status}`);
    });

    return {
      title: 'Sign-in: passkey (login/start + finish) next to email code (start + finish), loopback HTTP, PostgreSQL',
      rows: [
        { name: 'passkey sign-in (discoverable, UV, ES256)', rps: Math.round(passkeyRps), extra: { 'requests/s': Math.round(passkeyRps * 2), 'sign-ins': count, concurrency } },
        { name: 'email-code sign-in', rps: Math.round(emailRps), extra: { 'requests/s': Math.round(emailRps * 2), 'sign-ins': count, concurrency } },
      ],
      ratios: [{ name: 'passkey / email code (sign-ins per second)', value: Number((passkeyRps / emailRps).toFixed(2)) }],
      notes: ['req/s here is sign-ins per second; each sign-in is two requests.', 'Assertions are signed in the bench process; mail is captured in process (no SMTP); rate limits off.'],
    };
  } finally {
    await instance.stop();
  }
}
