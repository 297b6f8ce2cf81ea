import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/{src,test}/**/*.test.ts', 'services/*/test/**/*.test.ts', '{packages,services,gateway}/**/src/**/*.spec.ts', 'gateway/test/**/*.test.ts', 'e2e/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 60_000,
    // Starting a whole suite of processes takes long on a loaded shared machine.
    hookTimeout: 240_000,
    // Two cores: more workers only make the servers under test fight for CPU.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    fileParallelism: true,
  },
});
