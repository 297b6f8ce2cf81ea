import type { AuthCore } from '../../core/core';
import type { AuthModule } from '../../core/module';
import { createRevocationRelay } from './revocation-relay';
import type { RevocationStreamConfig } from './revocation-stream.config';
import { createRevocationRepository } from './revocation-stream.repository';
import { revocationStreamRoutes } from './revocation-stream.routes';

/**
 * Revocations for gateways without Redis (and with it): a trigger records every ended session
 * token in the ending transaction and NOTIFYs; this module relays them to gateways over a
 * resumable event stream (`GET /internal/revocations`) and prunes what no reconnecting gateway
 * still needs.
 */
export function createRevocationStreamModule(core: AuthCore, config: RevocationStreamConfig): AuthModule {
  const relay = createRevocationRelay({ databaseUrl: core.config.databaseUrl, logger: core.logger });
  const revocations = createRevocationRepository(core.db);
  return {
    name: 'revocation-stream',
    internalRoutes: revocationStreamRoutes({ relay, revocations, verifyInternalToken: core.verifyInternalToken, heartbeatMs: config.heartbeatMs, logger: core.logger }),
    jobs: [
      {
        name: 'prune session revocations past their retention',
        everyMs: 5 * 60_000,
        run: () => revocations.pruneBefore(new Date(core.clock.now().getTime() - config.retentionSeconds * 1000)),
      },
    ],
    start: () => relay.start(),
    close: () => relay.stop(),
  };
}
