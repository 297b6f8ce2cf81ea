import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '@malet/testing';
import { interrupt, startDevSuite } from './suite-process';

const run = promisify(execFile);
/** Runs a shell snippet the way a reader pastes it from the seed. */
const shell = async (script: string, env: Record<string, string> = {}) =>
  (await run('bash', ['-c', script], { env: { ...process.env, ...env }, timeout: 30_000 })).stdout;

let dataDir: string;
let postgresPort: string;
let suite: ReturnType<typeof startDevSuite>;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'malet-e2e-'));
  // As root, PostgreSQL runs as its own user, which must be able to reach its data directory.
  await chmod(dataDir, 0o755);
  postgresPort = String(await freePort());
  suite = startDevSuite({ MALET_DATA_DIR: dataDir, MALET_POSTGRES_PORT: postgresPort });
  await suite.ready;
}, 240_000);

afterAll(async () => {
  if (suite) await interrupt(suite.child);
  await rm(dataDir, { recursive: true, force: true });
}, 120_000);

describe('seed 000 curl examples against `pnpm dev`', () => {
  let token = '';
  let userId = '';

  it('prints every URL in its summary', () => {
    for (const url of ['http://localhost:30000/graphql', 'http://localhost:3008', 'http://localhost:1080', 'http://localhost:3008/auth/oauth/google', 'http://localhost:3020']) {
      expect(suite.output()).toContain(url);
    }
  });

  it('dev token: curl -s -X POST http://localhost:3008/auth/dev/token … | jq .', async () => {
    const out = await shell(`curl -s -X POST http://localhost:3008/auth/dev/token \\
-H "Content-Type: application/json" \\
-d '{"email": "user@example.com"}' | jq .`);
    const body = JSON.parse(out) as { session_token: string; expires_in: number; user: { id: string; email: string; username: string } };
    expect(body.session_token).toMatch(/^sess_/);
    expect(body.expires_in).toBe(86400);
    expect(body.user).toEqual({ id: expect.any(String), email: 'user@example.com', username: 'user' });
    token = body.session_token;
    userId = body.user.id;
  });

  it('GraphQL with the Bearer token', async () => {
    const out = await shell(
      `curl http://localhost:30000/graphql \\
-H "Authorization: Bearer $TOKEN" \\
-H "Content-Type: application/json" \\
-d '{"query": "{ me { id email } }"}'`,
      { TOKEN: token },
    );
    expect(JSON.parse(out)).toEqual({ data: { me: { id: userId, email: 'user@example.com' } } });
  });

  it('GraphQL with the session cookie', async () => {
    const out = await shell(
      `curl http://localhost:30000/graphql -H "Cookie: session_token=$TOKEN" -H "Content-Type: application/json" -d '{"query": "{ me { id email } }"}'`,
      { TOKEN: token },
    );
    expect(JSON.parse(out)).toEqual({ data: { me: { id: userId, email: 'user@example.com' } } });
  });

  it('REST /me on auth with the cookie', async () => {
    const out = await shell(`curl http://localhost:3008/me \\
-H "Cookie: session_token=$TOKEN"`, { TOKEN: token });
    expect(JSON.parse(out)).toMatchObject({ id: userId, email: 'user@example.com', username: 'user' });
  });

  it('admin metrics: curl http://localhost:30000/admin/metrics | jq . and the Prometheus text', async () => {
    const json = JSON.parse(await shell('curl -s http://localhost:30000/admin/metrics | jq .')) as { operations: { total: number } };
    expect(json.operations.total).toBeGreaterThanOrEqual(2);
    const text = await shell('curl -s http://localhost:30000/admin/metrics/prometheus');
    expect(text).toContain('# TYPE gateway_auth_cache_lookups_total counter');
  });

  it('RSS: curl http://localhost:30000/rss/m/my-coffee-shop/blogs.xml (the seeded Malet)', async () => {
    const xml = await shell('curl http://localhost:30000/rss/m/my-coffee-shop/blogs.xml');
    expect(xml).toContain('<rss version="2.0"');
    expect(xml).toContain('<atom:link');
    expect((xml.match(/<item>/g) ?? []).length).toBe(3);
  });

  it('email OTP: the seed\'s start and finish curls, the code read from the maildev inbox', async () => {
    // maildev's REST API; mail leaves auth through its queue, so the new code's mail is waited for.
    const codeMails = async () =>
      (JSON.parse(await shell('curl -s http://localhost:1080/api/email')) as { to: { address: string }[]; subject: string; text: string }[]).filter(
        (m) => m.to.some((to) => to.address === 'user@example.com') && /code/i.test(m.subject),
      );
    const before = (await codeMails()).length;
    const start = await shell(`curl -X POST http://localhost:3008/auth/email/login/start \\
-H "Content-Type: application/json" \\
-d '{"email": "user@example.com"}'`);
    expect(JSON.parse(start)).toBeTypeOf('object');
    const mail = await waitFor(async () => (await codeMails())[before], { timeoutMs: 30_000, what: 'the sign-in code mail in maildev' });
    const code = /\b(\d{6})\b/.exec(mail.text)?.[1];
    expect(code).toMatch(/^\d{6}$/);
    const finish = await shell(
      `curl -X POST http://localhost:3008/auth/email/login/finish \\
-H "Content-Type: application/json" \\
-d '{"email": "user@example.com", "code": "'$CODE'"}'`,
      { CODE: code! },
    );
    expect(JSON.parse(finish)).toMatchObject({ session_token: expect.stringMatching(/^sess_/), user: { email: 'user@example.com' } });
  });

  it('social sign-in: open "http://localhost:3008/auth/oauth/google", followed by curl -L with a cookie jar, ends signed in as the dev user (the stand-in plays Google)', async () => {
    const jar = { JAR: join(dataDir, 'cookies-google.txt') };
    const page = await shell('curl -s -L -c "$JAR" -b "$JAR" "http://localhost:3008/auth/oauth/google"', jar);
    expect(page).toContain('You are signed in');
    expect(JSON.parse(await shell('curl -s -b "$JAR" http://localhost:3008/me', jar))).toMatchObject({ id: userId, email: 'user@example.com' });
  });

  it('social sign-in: login_hint=<email> reaches the provider, whose stand-in signs that email in (a new account, through the gateway too)', async () => {
    const jar = { JAR: join(dataDir, 'cookies-github.txt') };
    const page = await shell('curl -s -L -c "$JAR" -b "$JAR" "http://localhost:3008/auth/oauth/github?login_hint=dev.github@example.com"', jar);
    expect(page).toContain('You are signed in');
    const me = JSON.parse(await shell('curl -s -b "$JAR" http://localhost:3008/me', jar)) as { id: string; email: string };
    expect(me).toMatchObject({ email: 'dev.github@example.com' });
    expect(me.id).not.toBe(userId);
    const graphql = await shell(
      `curl -s http://localhost:30000/graphql -b "$JAR" -H "Content-Type: application/json" -d '{"query": "{ me { id email } }"}'`,
      jar,
    );
    expect(JSON.parse(graphql)).toEqual({ data: { me: { id: me.id, email: 'dev.github@example.com' } } });
  });

  it('keeps its data across a restart (Ctrl-C, then pnpm dev again)', async () => {
    expect(await interrupt(suite.child)).toBe(true);
    await suite.drained;
    expect(suite.output()).toContain('Stopped.');
    suite = startDevSuite({ MALET_DATA_DIR: dataDir, MALET_POSTGRES_PORT: postgresPort });
    await suite.ready;
    const out = await shell(`curl -s -X POST http://localhost:3008/auth/dev/token -H "Content-Type: application/json" -d '{"email": "user@example.com"}'`);
    expect((JSON.parse(out) as { user: { id: string } }).user.id).toBe(userId);
    // The session issued before the restart is still valid: sessions live in PostgreSQL.
    const me = await shell(`curl -s http://localhost:3008/me -H "Cookie: session_token=$TOKEN"`, { TOKEN: token });
    expect(JSON.parse(me)).toMatchObject({ id: userId });
  }, 240_000);
});
