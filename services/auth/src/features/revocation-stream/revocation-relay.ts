import pg from 'pg';
import type { Logger } from '@malet/logging';
import type { RevocationRow } from './revocation-stream.repository';

export interface RevocationListener {
  onRow(row: RevocationRow): void;
  /** The database connection was lost: notifications may have been missed, the stream must end. */
  onLost(): void;
}

const CHANNEL = 'session_revocations';

/** `"<id> <floor> <token_hash>"`, as the trigger in the migration writes it. */
function parsePayload(payload: string | undefined): RevocationRow | null {
  const [id, floor, tokenHash] = (payload ?? '').split(' ');
  if (!id || !floor || !tokenHash || !/^[0-9a-f]{64}$/.test(tokenHash)) return null;
  return { id: Number(id), floor: Number(floor), tokenHash };
}

/**
 * One LISTEN connection per auth process, fanned out to every open stream. Each auth replica
 * hears every revocation committed on the database, whichever replica made it. When the
 * connection drops, every stream is ended (its gateway then distrusts its cache and resumes from
 * its cursor, reading what it missed from the table) and the relay reconnects with backoff.
 */
export function createRevocationRelay(options: { databaseUrl: string; logger: Logger }) {
  const listeners = new Set<RevocationListener>();
  let client: pg.Client | null = null;
  let live = false;
  let stopped = true;
  let retryMs = 100;
  let retryTimer: NodeJS.Timeout | undefined;

  function lose(reason: unknown): void {
    if (client === null) return;
    const lost = client;
    client = null;
    live = false;
    lost.end().catch(() => undefined);
    options.logger.warn({ err: reason }, 'revocation relay lost its database connection; ending streams and reconnecting');
    const ended = [...listeners];
    listeners.clear();
    for (const listener of ended) listener.onLost();
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    if (stopped) return;
    retryTimer = setTimeout(() => void connect(), retryMs);
    retryTimer.unref();
    retryMs = Math.min(retryMs * 2, 5_000);
  }

  async function connect(): Promise<void> {
    if (stopped) return;
    const next = new pg.Client({ connectionString: options.databaseUrl, application_name: 'malet-auth-revocations' });
    next.on('notification', (message) => {
      const row = message.channel === CHANNEL ? parsePayload(message.payload) : null;
      if (row) for (const listener of listeners) listener.onRow(row);
    });
    next.on('error', (error) => lose(error));
    next.on('end', () => lose(new Error('connection ended')));
    try {
      await next.connect();
      await next.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      next.removeAllListeners('end');
      await next.end().catch(() => undefined);
      options.logger.warn({ err: error }, 'revocation relay cannot listen yet; retrying');
      scheduleReconnect();
      return;
    }
    if (stopped) {
      await next.end().catch(() => undefined);
      return;
    }
    client = next;
    live = true;
    retryMs = 100;
  }

  return {
    /** Connects; resolves once listening (or after the first failed try, retrying in the background). */
    async start(): Promise<void> {
      stopped = false;
      await connect();
    },
    isLive: () => live,
    subscribe(listener: RevocationListener): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(retryTimer);
      const current = client;
      client = null;
      live = false;
      for (const listener of [...listeners]) listener.onLost();
      listeners.clear();
      if (current) {
        current.removeAllListeners('end');
        await current.end().catch(() => undefined);
      }
    },
  };
}

export type RevocationRelay = ReturnType<typeof createRevocationRelay>;
