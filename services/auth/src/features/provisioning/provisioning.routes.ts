import { Router } from 'express';
import { z } from 'zod';
import { validate } from '@malet/http-server';
import { allowCallers } from '@malet/internal-auth';
import { consumeEventOnce, outboxEventSchema, type AnyPgDatabase } from '@malet/outbox';
import { emailField, normalizeEmail } from '../../core/identities/email';
import type { ProvisioningService } from './provisioning.service';

const identityRequest = z.object({
  email: emailField,
  organization_id: z.uuid(),
  display_name: z.string().trim().min(1).max(100).optional(),
});
const userEvent = z.object({ organization_id: z.uuid(), user_id: z.uuid(), active: z.boolean().default(true), sequence: z.number().int().positive() });

const TOPICS = new Set(['scim.user.provisioned', 'scim.user.deactivated', 'scim.user.reactivated', 'scim.user.deleted']);

/**
 * Endpoints for the SCIM service (mounted behind the internal-token check): the identity of a
 * provisioned email, and the provisioning events of its outbox (at least once, any order).
 */
export function provisioningRoutes(deps: { db: AnyPgDatabase; provisioning: ProvisioningService }): Router {
  const router = Router();

  router.post('/internal/provisioning/identities', allowCallers(['scim']), async function provisionIdentity(req, res) {
    const input = validate(identityRequest, req.body);
    const identity = await deps.provisioning.provisionIdentity({
      email: normalizeEmail(input.email),
      organizationId: input.organization_id,
      displayName: input.display_name ?? null,
    });
    res.json({ user_id: identity.userId, created: identity.created });
  });

  router.post('/internal/events', allowCallers(['scim']), async function receiveEvent(req, res) {
    const event = validate(outboxEventSchema, req.body);
    if (!TOPICS.has(event.topic)) {
      // Unknown topics are acknowledged so the producer's outbox does not retry them forever.
      res.json({ status: 'ignored' });
      return;
    }
    const payload = validate(userEvent, event.payload);
    const deleted = event.topic === 'scim.user.deleted';
    const status = await consumeEventOnce(deps.db, event, async (tx) => {
      await deps.provisioning.applyChange(tx, {
        organizationId: payload.organization_id,
        userId: payload.user_id,
        active: payload.active && !deleted,
        deleted,
        sequence: payload.sequence,
      });
    });
    await deps.provisioning.enforce(payload.user_id, deleted ? 'deleted' : 'deactivated');
    res.json({ status });
  });

  return router;
}
