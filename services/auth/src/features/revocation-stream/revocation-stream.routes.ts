import { Router, type Request, type Response } from 'express';
import { isShuttingDown } from '@malet/http-server';
import { requireInternalToken, type InternalTokenVerifier } from '@malet/internal-auth';
import type { Logger } from '@malet/logging';
import type { RevocationRelay } from './revocation-relay';
import type { RevocationCursor, RevocationRepository, RevocationRow } from './revocation-stream.repository';
import { revocationStreamErrors } from './revocation-stream.errors';

/** A cursor as the stream writes it in `id:` lines, `<id>:<floor>`. */
export function formatCursor(cursor: RevocationCursor): string {
  return `${cursor.id}:${cursor.floor}`;
}

function parseCursor(value: string | undefined): RevocationCursor | null {
  if (value === undefined || value === '') return null;
  const match = /^(\d{1,18}):(\d{1,18})$/.exec(value);
  if (!match) throw revocationStreamErrors.invalidCursor();
  return { id: Number(match[1]), floor: Number(match[2]) };
}

const event = (name: string, data: string, id?: string) => `${id === undefined ? '' : `id: ${id}\n`}event: ${name}\ndata: ${data}\n\n`;
const revokedEvent = (row: RevocationRow) => event('revoked', row.tokenHash, formatCursor(row));

/**
 * `GET /internal/revocations`: the hashes of ended session tokens, as server-sent events, for
 * gateways (the only caller it serves). A gateway sends the cursor of the last event it saw as
 * `Last-Event-ID` and gets, in order:
 *
 * - `revoked` events for every row it may have missed (a `reset` first, when rows it never saw
 *   have been pruned or the cursor is not this database's: it must then drop its whole cache);
 * - `ready`: it is caught up and may trust its cache again (with the head cursor when it had none);
 * - `revoked` events as transactions commit, and a comment line every heartbeat.
 *
 * The live feed is joined before the backlog is read, so nothing committing in between is lost;
 * rows in both are sent once. The stream ends when auth loses its LISTEN connection or shuts down.
 */
export function revocationStreamRoutes(deps: {
  relay: RevocationRelay;
  revocations: RevocationRepository;
  verifyInternalToken: InternalTokenVerifier;
  heartbeatMs: number;
  logger: Logger;
}): Router {
  const router = Router();

  /** What the reader needs before `ready`: the rows after its cursor, or a reset to the head. */
  async function catchUp(cursor: RevocationCursor | null): Promise<{ reset: RevocationCursor | null; head: RevocationCursor | null; rows: RevocationRow[] }> {
    const head = await deps.revocations.head();
    if (!cursor) return { reset: null, head, rows: [] };
    const oldest = await deps.revocations.oldestId();
    // Rows after the cursor may have been pruned (or the cursor is from another database): a
    // spurious reset (a gap in the sequence) only costs the gateway its cache, never a miss.
    const pruned = cursor.id > head.id || (oldest === null ? cursor.id < head.id : cursor.id < oldest - 1);
    if (pruned) return { reset: head, head: null, rows: [] };
    return { reset: null, head: null, rows: await deps.revocations.after(cursor) };
  }

  router.get(
    '/internal/revocations',
    requireInternalToken(deps.verifyInternalToken, { callers: ['gateway'] }),
    async function streamRevocations(req: Request, res: Response) {
      if (!deps.relay.isLive()) throw revocationStreamErrors.unavailable();
      const cursor = parseCursor(req.get('last-event-id'));

      let flowing = false;
      const waiting: RevocationRow[] = [];
      const unsubscribe = deps.relay.subscribe({
        onRow: (row) => (flowing ? res.write(revokedEvent(row)) : waiting.push(row)),
        onLost: () => res.end(),
      });
      const timers: { ticker?: NodeJS.Timeout } = {};
      res.on('close', () => {
        clearInterval(timers.ticker);
        unsubscribe();
      });

      const { reset, head, rows } = await catchUp(cursor).catch((error: unknown) => {
        unsubscribe();
        throw error;
      });
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
      if (reset) res.write(event('reset', 'reset', formatCursor(reset)));
      const sent = new Set<number>();
      for (const row of rows) {
        sent.add(row.id);
        res.write(revokedEvent(row));
      }
      for (const row of waiting) if (!sent.has(row.id)) res.write(revokedEvent(row));
      flowing = true;
      res.write(event('ready', 'ready', head ? formatCursor(head) : undefined));

      // Heartbeats let the gateway tell a quiet stream from a dead one; a draining server ends it.
      let sinceBeat = 0;
      const tickMs = Math.min(deps.heartbeatMs, 250);
      timers.ticker = setInterval(() => {
        if (isShuttingDown(req.app)) {
          res.end();
          return;
        }
        sinceBeat += tickMs;
        if (sinceBeat >= deps.heartbeatMs) {
          sinceBeat = 0;
          res.write(': heartbeat\n\n');
        }
      }, tickMs);
    },
  );
  return router;
}
