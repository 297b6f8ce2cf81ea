import { createParser, type EventSourceMessage } from 'eventsource-parser';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANONYMOUS, INTERNAL_TOKEN_HEADER, createInternalTokenSigner } from '@malet/internal-auth';
import { hashToken } from '@malet/session-client';
import { startAuth, type AuthHarness } from './support';

let auth: AuthHarness;
let db: pg.Client;
beforeAll(async () => {
  auth = await startAuth({ seed: ['user@example.com'], env: { REVOCATION_STREAM_HEARTBEAT_MS: '200' } });
  await auth.start();
  db = new pg.Client({ connectionString: auth.config.databaseUrl });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await auth?.stop();
});

/** Reads auth's revocation stream as a gateway does; `next(event)` waits for the next event of that name. */
async function openStream(lastEventId?: string) {
  const token = await createInternalTokenSigner({ secret: auth.config.internalTokenSecret, issuer: 'gateway' })(ANONYMOUS);
  const controller = new AbortController();
  const response = await fetch(`${auth.url}/internal/revocations`, {
    headers: { [INTERNAL_TOKEN_HEADER]: token, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
    signal: controller.signal,
  });
  const events: EventSourceMessage[] = [];
  /** How many events of each name `next` has handed out: each call gets the following one. */
  const taken = new Map<string, number>();
  let wake: () => void = () => {};
  const parser = createParser({
    onEvent(event) {
      events.push(event);
      wake();
    },
  });
  void (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
    } catch {
      // aborted by close()
    }
  })();
  return {
    status: response.status,
    events,
    /** The next `name` event this reader has not been handed yet, waiting for it if need be (the test's timeout is the hang guard). */
    async next(name: string): Promise<EventSourceMessage> {
      const index = taken.get(name) ?? 0;
      for (;;) {
        const found = events.filter((event) => event.event === name)[index];
        if (found) {
          taken.set(name, index + 1);
          return found;
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
    close: () => controller.abort(),
  };
}

async function newSession(): Promise<string> {
  const { body } = await auth.api.post('/auth/dev/token', { email: 'user@example.com' });
  return String((body as { session_token: string }).session_token);
}

const revokeSql = 'update sessions set revoked_at = now(), revoke_reason = $2 where token_hash = $1';

describe('the revocation stream', () => {
  it('replays, on resume, a revocation that committed after a later-numbered one the reader had already seen', async () => {
    const [first, second] = [await newSession(), await newSession()];
    const live = await openStream();
    await live.next('ready');

    const slow = new pg.Client({ connectionString: auth.config.databaseUrl });
    await slow.connect();
    let seen: EventSourceMessage;
    try {
      await slow.query('begin');
      await slow.query(revokeSql, [hashToken(first), 'test']); // takes the lower id, commits last
      await db.query(revokeSql, [hashToken(second), 'test']);
      seen = await live.next('revoked');
      expect(seen.data).toBe(hashToken(second));
      live.close();
      await slow.query('commit');
    } finally {
      await slow.end();
    }

    const resumed = await openStream(seen.id);
    await resumed.next('ready');
    resumed.close();
    expect(resumed.events.filter((event) => event.event === 'revoked').map((event) => event.data)).toContain(hashToken(first));
    expect(resumed.events.some((event) => event.event === 'reset')).toBe(false);
  });

  it('announces nothing for a revocation that was rolled back', async () => {
    const [undone, done] = [await newSession(), await newSession()];
    const live = await openStream();
    await live.next('ready');
    await db.query('begin');
    await db.query(revokeSql, [hashToken(undone), 'test']);
    await db.query('rollback');
    await db.query(revokeSql, [hashToken(done), 'test']);
    // Notifications arrive in commit order: once the later one is here, the undone one never will be.
    await live.next('revoked');
    live.close();
    expect(live.events.filter((event) => event.event === 'revoked').map((event) => event.data)).toEqual([hashToken(done)]);
  });

  it('records logout, refresh rotation and deletion, each as the token that stopped working', async () => {
    const live = await openStream();
    await live.next('ready');
    const [loggedOut, refreshed, deleted] = [await newSession(), await newSession(), await newSession()];
    expect((await auth.api.post('/auth/logout', {}, { authorization: `Bearer ${loggedOut}` })).status).toBe(200);
    expect((await auth.api.post('/auth/refresh', {}, { cookie: `session_token=${refreshed}` })).status).toBe(200);
    await db.query('delete from sessions where token_hash = $1', [hashToken(deleted)]);
    const wanted = [loggedOut, refreshed, deleted].map(hashToken);
    while (!wanted.every((hash) => live.events.some((event) => event.data === hash))) await live.next('revoked');
    live.close();
  });

  it('tells a reader whose cursor is older than what is kept to reset its cache', async () => {
    const live = await openStream();
    await live.next('ready');
    await db.query(revokeSql, [hashToken(await newSession()), 'test']);
    const old = await live.next('revoked');
    await db.query(revokeSql, [hashToken(await newSession()), 'test']);
    // Once the open stream has it, its notification has been relayed: the stream opened below
    // cannot receive it live, so what that stream says comes from its cursor alone.
    await live.next('revoked');
    live.close();
    await db.query('delete from session_revocations'); // the retention sweep, with everything expired

    const resumed = await openStream(old.id);
    await resumed.next('ready');
    resumed.close();
    expect(resumed.events.map((event) => event.event)).toEqual(['reset', 'ready']);
  });

  it('refuses a cursor it did not write with 400', async () => {
    const response = await openStream('not-a-cursor');
    response.close();
    expect(response.status).toBe(400);
  });
});
