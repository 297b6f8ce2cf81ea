import { expect, inject } from 'vitest';
import { startSmtpCatcher } from '@malet/testing';
import { clientOperations, startLoad, summarize, type LoadRecord } from '../support/load';
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
        // Short enough that a fault shows within seconds, long enough for a machine busy
        // running the rest of the tests beside this one.
        SUBGRAPH_TIMEOUT_MS: '2000',
        SUBGRAPH_CIRCUIT_FAILURES: '3',
        SUBGRAPH_CIRCUIT_RESET_MS: '500',
        PROXY_TIMEOUT_MS: '10000',
        // The load plays many clients behind an ingress on loopback, naming each in X-Forwarded-For.
        TRUST_PROXY: 'loopback',
        ...env.gateway,
      },
    },
  }).catch(async (error: unknown) => {
    await smtp.stop();
    throw error;
  });
  const { token } = await suite.devToken('user@example.com');
  const operations = clientOperations({ gatewayUrl: suite.gatewayUrl, token });
  return {
    suite,
    smtp,
    token,
    operations,
    /** The client mix every fault test runs under: sign-ups, GraphQL, feeds, sign-ins, 4 at a time. */
    startLoad: () => startLoad({ operations: [operations.signUp, operations.graphqlMe, operations.feed, operations.signIn], workers: 4 }),
    async stop() {
      await suite.stop();
      await smtp.stop();
    },
  };
}

export type FaultSuite = Awaited<ReturnType<typeof startFaultSuite>>;

/** Every request among `records` (sign-ins with no account yet aside) succeeded, and there were some. */
export function expectAllOk(records: LoadRecord[]): void {
  const counted = records.filter((record) => record.code !== 'skipped');
  expect(counted.length).toBeGreaterThan(0);
  expect(counted.filter((record) => !record.ok), JSON.stringify(summarize(counted))).toEqual([]);
}
