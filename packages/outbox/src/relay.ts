import { and, asc, eq, isNull, lte, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { INTERNAL_TOKEN_HEADER, type InternalTokenSigner } from '@malet/internal-auth';
import type { AnyPgDatabase, OutboxEvent } from './enqueue';
import { createPollingWorker, retryDelayMs } from './polling-worker';
import { outbox } from './tables';

export interface OutboxSubscriber {
  name: string;
  /** Internal endpoint that accepts `OutboxEvent` JSON and answers 2xx once applied. */
  url: string;
  topics: string[];
}

/**
 * Delivers pending outbox rows to subscribers, at least once, in creation order. Rows are
 * claimed with `for update skip locked`, so several replicas can run relays side by side.
 * A failed delivery is retried with exponential backoff; nothing is dropped.
 */
export function createOutboxRelay(options: {
  db: AnyPgDatabase;
  subscribers: OutboxSubscriber[];
  signInternalToken: InternalTokenSigner;
  logger: Logger;
  pollMs?: number;
  batchSize?: number;
  timeoutMs?: number;
}) {
  const batchSize = options.batchSize ?? 50;

  async function deliverTo(subscriber: OutboxSubscriber, event: OutboxEvent): Promise<void> {
    const response = await fetch(subscriber.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [INTERNAL_TOKEN_HEADER]: await options.signInternalToken(),
      },
      body: JSON.stringify(event),
      signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
    });
    if (!response.ok) throw new Error(`${subscriber.name} answered ${response.status}`);
  }

  async function deliverBatch(): Promise<number> {
    return options.db.transaction(async (tx) => {
      const rows = await tx
        .select()
        .from(outbox)
        .where(and(isNull(outbox.deliveredAt), lte(outbox.nextAttemptAt, sql`now()`)))
        .orderBy(asc(outbox.createdAt))
        .limit(batchSize)
        .for('update', { skipLocked: true });
      for (const row of rows) {
        const event: OutboxEvent = {
          id: row.id,
          topic: row.topic,
          payload: row.payload,
          created_at: row.createdAt.toISOString(),
        };
        try {
          const targets = options.subscribers.filter((s) => s.topics.includes(row.topic) || s.topics.includes('*'));
          for (const subscriber of targets) await deliverTo(subscriber, event);
          await tx.update(outbox).set({ deliveredAt: sql`now()`, lastError: null }).where(eq(outbox.id, row.id));
        } catch (error) {
          const attempts = row.attempts + 1;
          const backoffMs = retryDelayMs(attempts);
          options.logger.warn({ err: error, eventId: row.id, topic: row.topic, attempts }, 'outbox delivery failed');
          await tx
            .update(outbox)
            .set({
              attempts,
              lastError: String((error as Error).message ?? error).slice(0, 500),
              nextAttemptAt: sql`now() + make_interval(secs => ${backoffMs / 1000})`,
            })
            .where(eq(outbox.id, row.id));
        }
      }
      return rows.length;
    });
  }

  return createPollingWorker({ name: 'outbox relay', pass: deliverBatch, batchSize, pollMs: options.pollMs ?? 1_000, logger: options.logger });
}

export type OutboxRelay = ReturnType<typeof createOutboxRelay>;
