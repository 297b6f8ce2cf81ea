/**
 * The transactional outbox's table (packages/outbox), and the inbox that makes consumed events
 * idempotent, created by auth's migrations like its own tables.
 */
export { outbox, processedEvents } from '@malet/outbox';
