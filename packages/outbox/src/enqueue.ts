import type { SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { outbox } from './tables';

export interface OutboxEvent<T = unknown> {
  id: string;
  topic: string;
  payload: T;
  created_at: string;
}

/** Any Drizzle database or transaction handle. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the schema type differs per service and is irrelevant here
export type AnyPgDatabase = PgDatabase<PgQueryResultHKT, any, any>;

/** Call inside the transaction that makes the change, so the event exists iff the change does. */
export async function enqueueEvent(tx: AnyPgDatabase, topic: string, payload: unknown): Promise<string> {
  const [row] = await eventInsert(tx, topic, payload).returning({ id: outbox.id });
  return row!.id;
}

/**
 * The insert of an event, not yet sent: for a statement that writes the change and its event
 * together (`writeTogether` of @malet/database). `payload` may be SQL computed by that statement.
 */
export function eventInsert(db: AnyPgDatabase, topic: string, payload: unknown) {
  return db.insert(outbox).values({ topic, payload: payload as SQL });
}
