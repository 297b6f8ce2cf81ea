/**
 * Email OTP verifications per second: `POST /auth/email/login/finish` over loopback HTTP against
 * the real auth app on a real PostgreSQL (embedded, or TEST_POSTGRES_URL). Each verification is
 * the full path: the atomic attempt count, the HMAC comparison, and for a right code the
 * consuming UPDATE, the MFA check, a new session and its audit row. Codes are captured by an
 * in-process mailer (the bench measures verification, not SMTP); rate limits are off.
 * BENCH_OTP_COUNT sets the number of verifications per row (default 2000).
 */
import { startBenchAuth } from './auth-instance';
import { opsPerSecond, type BenchSection } from './lib';
export async function run(): Promise<BenchSection> {
  const count = Number(process.env.BENCH_OTP_COUNT ?? 2000);
  const concurrency = 16;
  const codes = new Map<string, string>();
  const instance = await startBenchAuth({
    name: 'bench_otp',
    mailer: {
      async send(mail) {
        codes.set(mail.to, /\b(\d{6})\b/.exec(mail.text)![1]!);
      },
    },
  });
  const { auth } = instance;

  /** Existing accounts with a live code each, so the rows measure sign-in rather than sign-up. */
  async function prepare(prefix: string): Promise<string[]> {
    const emails = Array.from({ length: count }, (_, i) => `${prefix}-${i}@bench.example.com`);
    await opsPerSecond(count, concurrency, async (i) => {
      await auth.identities.createWithEvent({ email: emails[i]!, verified: true });
      const started = await fetch(`${instance.url}/auth/email/login/start`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: emails[i] }),
      });
      if (started.status !== 200) throw new Error(`start answered ${started.status}`);
    });
    return emails;
  }
  const finish = (email: string, code: string) =>
    fetch(`${instance.url}/auth/email/login/finish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, code }),
    });
  const wrongCodeFor = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

  try {
    const right = await prepare('right');
    const rightRps = await opsPerSecond(count, concurrency, async (i) => {
      const response = await finish(right[i]!, codes.get(right[i]!)!);
      if (response.status !== 200) throw new Error(`right code answered ${response.status}`);
      await response.arrayBuffer();
    });

    const wrong = await prepare('wrong');
    const wrongRps = await opsPerSecond(count, concurrency, async (i) => {
      const response = await finish(wrong[i]!, wrongCodeFor(codes.get(wrong[i]!)!));
      if (response.status !== 401) throw new Error(`wrong code answered ${response.status}`);
      await response.arrayBuffer();
    });

    // The attempt limit under load: the same challenge hammered in parallel, counted atomically.
    const [target] = await prepare('hammer');
    const hammerCode = wrongCodeFor(codes.get(target!)!);
    const outcomes = { invalid: 0, dead: 0 };
    const hammerRps = await opsPerSecond(count, concurrency, async () => {
      const response = await finish(target!, hammerCode);
      const body = (await response.json()) as { code?: string };
      if (body.code === 'auth:invalid_code') outcomes.invalid += 1;
      else if (body.code === 'auth:code_expired') outcomes.dead += 1;
      else throw new Error(`unexpected answer ${response.status}`);
    });
    if (outcomes.invalid > 4) throw new Error(`attempt limit broken under load: ${outcomes.invalid} wrong guesses compared`);

    return {
      title: 'Email OTP verification (POST /auth/email/login/finish, loopback HTTP, PostgreSQL)',
      rows: [
        { name: 'right code: consume + session + audit', rps: Math.round(rightRps), extra: { verifications: count, concurrency } },
        { name: 'wrong code: atomic attempt count + audit', rps: Math.round(wrongRps), extra: { verifications: count, concurrency } },
        {
          name: 'dead challenge hammered (after 5 attempts)',
          rps: Math.round(hammerRps),
          extra: { compared: outcomes.invalid + 1, refused: outcomes.dead },
        },
      ],
      ratios: [
        { name: 'wrong / right', value: Number((wrongRps / rightRps).toFixed(2)) },
        { name: 'dead / right', value: Number((hammerRps / rightRps).toFixed(2)) },
      ],
      notes: ['Codes captured in process (no SMTP); rate limits off; each verification is a separate HTTP request.'],
    };
  } finally {
    await instance.stop();
  }
}
