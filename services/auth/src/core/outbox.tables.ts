/** The transactional outbox's table (packages/outbox), created by auth's migrations like its own tables. */
export { outbox } from '@malet/outbox';
