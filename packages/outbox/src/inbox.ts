import type { AnyPgDatabase, OutboxEvent } from './enqueue';
import { processedEvents } from './tables';

/**
 * Applies an event at most once: the event id is recorded in the same transaction as its
 * effects, so a redelivered event is acknowledged without being applied again.
 */
export async function consumeEventOnce(
  db: AnyPgDatabase,
  event: Pick<OutboxEvent, 'id' | 'topic'>,
  apply: (tx: AnyPgDatabase) => Promise<void>,
): Promise<'applied' | 'duplicate'> {
  return db.transaction(async (tx) => {
    const inserted = await tx
      .insert(processedEvents)
      .values({ eventId: event.id, topic: event.topic })
      .onConflictDoNothing()
      .returning({ id: processedEvents.eventId });
    if (inserted.length === 0) return 'duplicate';
    await apply(tx);
    return 'applied';
  });
}
