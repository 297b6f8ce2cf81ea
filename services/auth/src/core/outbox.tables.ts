/**
 * The transactional outbox's table (packages/outbox), the inbox that makes consumed events
 * idempotent, and the mail queue (packages/mail-outbox), created by auth's migrations like its
 * own tables.
 */
export { outbox, processedEvents } from '@malet/outbox';
export { mailOutbox } from '@malet/mail-outbox';
