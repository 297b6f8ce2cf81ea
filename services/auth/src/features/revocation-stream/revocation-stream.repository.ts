import { asc, gte, gt, lt, min, or, sql } from 'drizzle-orm';
import type { AuthDb } from '../../core/db';
import { sessionRevocations } from './revocation-stream.tables';

/** A position in the stream: the last row a reader saw (see revocation-stream.tables.ts). */
export interface RevocationCursor {
  id: number;
  floor: number;
}

export interface RevocationRow extends RevocationCursor {
  tokenHash: string;
}

export function createRevocationRepository(db: AuthDb) {
  return {
    /** Where the stream stands now: the last id handed out and the oldest running transaction. */
    async head(): Promise<RevocationCursor> {
      const result = await db.execute<{ id: string | null; floor: string }>(
        sql`select pg_sequence_last_value('session_revocations_id_seq') as id, pg_snapshot_xmin(pg_current_snapshot())::text as floor`,
      );
      const row = result.rows[0]!;
      return { id: Number(row.id ?? 0), floor: Number(row.floor) };
    },

    /** The smallest id still kept, or null when every row has been pruned. */
    async oldestId(): Promise<number | null> {
      const [row] = await db.select({ oldest: min(sessionRevocations.id) }).from(sessionRevocations);
      return row?.oldest ?? null;
    },

    /** Every row a reader at `cursor` may not have seen: later ids, and rows of transactions running when its row was written. */
    async after(cursor: RevocationCursor): Promise<RevocationRow[]> {
      return db
        .select({ id: sessionRevocations.id, floor: sessionRevocations.floor, tokenHash: sessionRevocations.tokenHash })
        .from(sessionRevocations)
        .where(or(gt(sessionRevocations.id, cursor.id), gte(sessionRevocations.tx, cursor.floor)))
        .orderBy(asc(sessionRevocations.id));
    },

    async pruneBefore(cutoff: Date): Promise<void> {
      await db.delete(sessionRevocations).where(lt(sessionRevocations.revokedAt, cutoff));
    },
  };
}

export type RevocationRepository = ReturnType<typeof createRevocationRepository>;
