import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { Logger } from 'pino';
import { Agent, request } from 'undici';
import { INTERNAL_TOKEN_HEADER } from '@malet/internal-auth';

/**
 * `down`: no stream (cached answers are not trusted); `catching_up`: connected, reading what it
 * missed; `live`: caught up, every revocation arrives as it commits.
 */
export type RevocationStreamState = 'down' | 'catching_up' | 'live';

/**
 * Follows auth's revocation stream (`GET /internal/revocations`, server-sent events): evicts
 * each revoked token hash, remembers the cursor of the last event, and on any loss (the
 * connection ends, auth answers an error, or no byte arrives within `silenceMs`, which catches a
 * hung peer) reconnects with backoff and resumes from that cursor. Only while `live` may the
 * validator trust what it cached; a first `ready` without a cursor, or a `reset`, drops the whole
 * cache, since revocations before it are unknown.
 */
export function createRevocationStreamClient(options: {
  authUrl: string;
  callerToken: () => Promise<string>;
  logger: Logger;
  /** Longest silence before the stream counts as dead (auth sends a heartbeat every 5 s by default). */
  silenceMs: number;
  onRevoked: (tokenHash: string) => void;
  /** Forget everything cached: revocations before this point are unknown. */
  onReset: () => void;
  onStateChange?: (state: RevocationStreamState) => void;
}) {
  const agent = new Agent({ connections: 1, keepAliveTimeout: 1_000 });
  let state: RevocationStreamState = 'down';
  let cursor: string | null = null;
  let stopped = false;
  let current: AbortController | null = null;

  function setState(next: RevocationStreamState): void {
    if (next === state) return;
    if (state === 'live') options.logger.warn('revocation stream lost: validating every credential with auth until it is caught up again');
    state = next;
    options.onStateChange?.(next);
  }

  function onEvent(message: EventSourceMessage): void {
    if (message.event === 'revoked') {
      if (/^[0-9a-f]{64}$/.test(message.data)) options.onRevoked(message.data);
    } else if (message.event === 'reset') {
      options.onReset();
    } else if (message.event === 'ready') {
      // No cursor means no way to know what was revoked before: start from an empty cache.
      if (cursor === null) options.onReset();
      setState('live');
    }
    if (message.id) cursor = message.id;
  }

  async function followOnce(): Promise<void> {
    const controller = new AbortController();
    current = controller;
    let silence = setTimeout(() => controller.abort(), options.silenceMs);
    const heard = () => {
      clearTimeout(silence);
      silence = setTimeout(() => controller.abort(), options.silenceMs);
    };
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream', [INTERNAL_TOKEN_HEADER]: await options.callerToken() };
      if (cursor) headers['last-event-id'] = cursor;
      const response = await request(`${options.authUrl}/internal/revocations`, {
        method: 'GET',
        headers,
        dispatcher: agent,
        signal: controller.signal,
        bodyTimeout: 0,
      });
      if (response.statusCode !== 200) {
        await response.body.dump();
        throw new Error(`auth answered ${response.statusCode}`);
      }
      setState('catching_up');
      const parser = createParser({ onEvent });
      for await (const chunk of response.body) {
        heard();
        parser.feed(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      }
    } finally {
      clearTimeout(silence);
      current = null;
    }
  }

  async function follow(): Promise<void> {
    let backoffMs = 100;
    while (!stopped) {
      const started = Date.now();
      try {
        await followOnce();
      } catch (error) {
        if (!stopped) options.logger.warn({ err: error }, 'revocation stream interrupted');
      }
      setState('down');
      if (stopped) return;
      // A stream that ran a while restarts quickly; repeated failures back off up to 2 s.
      backoffMs = Date.now() - started > 10_000 ? 100 : Math.min(backoffMs * 2, 2_000);
      await new Promise((resolve) => setTimeout(resolve, backoffMs).unref());
    }
  }

  return {
    start(): void {
      void follow();
    },
    state: () => state,
    async stop(): Promise<void> {
      stopped = true;
      current?.abort();
      await agent.close().catch(() => undefined);
    },
  };
}

export type RevocationStreamClient = ReturnType<typeof createRevocationStreamClient>;
