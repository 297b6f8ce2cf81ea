import { inject } from 'vitest';
import { startSuite, type SuiteOptions } from '../../test/support/suite';

/** The whole suite as real processes for one test file (see test/support/suite.ts). */
export function startGatewayTestInstance(options: SuiteOptions = {}) {
  return startSuite({ ...options, postgresAdminUrl: inject('postgresAdminUrl'), redisUrl: inject('redisUrl') });
}

export type GatewayTestInstance = Awaited<ReturnType<typeof startGatewayTestInstance>>;
