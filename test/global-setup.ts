import type { TestProject } from 'vitest/node';
import { startTestPostgres, startTestRedis } from '@malet/testing';

/** One real PostgreSQL and one real Redis for the whole run; each test makes its own database. */
export default async function setup(project: TestProject) {
  const redis = await startTestRedis();
  const postgres = await startTestPostgres().catch(async (error: unknown) => {
    await redis.stop();
    throw error;
  });
  project.provide('postgresAdminUrl', postgres.adminUrl);
  project.provide('redisUrl', redis.url);
  return async () => {
    await Promise.all([postgres.stop(), redis.stop()]);
  };
}
