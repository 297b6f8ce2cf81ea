import { bigint, bigserial, index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Every session token that stopped working (logout, revocation, refresh rotation, deletion),
 * written by a trigger on `sessions` in the very transaction that ended it, and announced with
 * `NOTIFY session_revocations` on commit (the trigger is in the migration that creates this
 * table). Gateways read it as a resumable stream (revocation-stream.routes.ts); rows are kept
 * REVOCATION_RETENTION_SECONDS, long enough for any gateway that merely reconnects.
 *
 * `id` orders rows by insertion, but transactions commit in their own order, so a later id can
 * become visible first. `floor` is the oldest transaction still running when the row was
 * written (`pg_snapshot_xmin`), and `tx` the writing transaction: a reader resuming after the
 * row (id, floor) also re-reads every row with `tx >= floor`, which covers any row with a lower
 * id that committed after it.
 */
export const sessionRevocations = pgTable(
  'session_revocations',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    tokenHash: text('token_hash').notNull(),
    tx: bigint('tx', { mode: 'number' }).notNull(),
    floor: bigint('floor', { mode: 'number' }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index('session_revocations_tx_idx').on(table.tx), index('session_revocations_revoked_at_idx').on(table.revokedAt)],
);
