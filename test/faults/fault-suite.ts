import { inject } from 'vitest';
import { startSmtpCatcher } from '@malet/testing';
import { clientOperations } from '../support/load';
import { startSuite, type SuiteOptions } from '../support/suite';

/**
 * The whole suite for a fault test: real processes, a real SMTP server for the mail sign-ups
 * send, cheap password hashing (the load is about faults, not argon2), short deadlines at the
 * gateway so a fault shows within a second, and a signed-in user for the GraphQL load.
 */
export async function startFaultSuite(options: SuiteOptions & { postgresAdminUrl?: string; redisUrl?: string } = {}) {
  const smtp = await startSmtpCatcher();
  const env = options.env ?? {};
  const suite = await startSuite({
    ...options,
    postgresAdminUrl: options.postgresAdminUrl ?? inject('postgresAdminUrl'),
    redisUrl: options.redisUrl ?? inject('redisUrl'),
    env: {
      ...env,
      auth: { SMTP_URL: smtp.url, PASSWORD_ARGON2_MEMORY_KIB: '1024', PASSWORD_ARGON2_TIME_COST: '1', ...env.auth },
      gateway: {
        SUBGRAPH_TIMEOUT_MS: '1000',
        SUBGRAPH_CIRCUIT_FAILURES: '3',
        SUBGRAPH_CIRCUIT_RESET_MS: '500',
        PROXY_TIMEOUT_MS: '2000',
        ...env.gateway,
      },
    },
  }).catch(async (error: unknown) => {
    await smtp.stop();
    throw error;
  });
  const { token } = await suite.devToken('user@example.com');
  return {
    suite,
    smtp,
    token,
    operations: clientOperations({ gatewayUrl: suite.gatewayUrl, token }),
    async stop() {
      await suite.stop();
      await smtp.stop();
    },
  };
}

export type FaultSuite = Awaited<ReturnType<typeof startFaultSuite>>;
