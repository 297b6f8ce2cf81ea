export { outbox, processedEvents } from './tables';
export { enqueueEvent, eventInsert, type OutboxEvent, type AnyPgDatabase } from './enqueue';
export { createOutboxRelay, type OutboxSubscriber, type OutboxRelay } from './relay';
export { consumeEventOnce } from './inbox';
export { outboxEventSchema } from './envelope';
export { createPollingWorker, retryDelayMs } from './polling-worker';
