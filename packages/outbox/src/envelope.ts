import { z } from 'zod';

/**
 * The JSON body the relay posts to a consumer's `/internal/events` (an `OutboxEvent`), for
 * consumers to validate before they apply anything.
 */
export const outboxEventSchema = z.object({
  id: z.uuid(),
  topic: z.string().min(1).max(100),
  payload: z.unknown(),
  created_at: z.string(),
});
