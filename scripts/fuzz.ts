/**
 * `pnpm fuzz [section ...]`: the property-based tests with many more cases than CI runs
 * (FUZZ_RUNS, default 1,000 per property). Each section lists its test files; with no argument
 * every section runs. CI runs the same files with their small default.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const SECTIONS: Record<string, string[]> = {
  /** GraphQL through the gateway: random valid, damaged and noisy operations, variables and bodies. */
  gateway: ['gateway/test/graphql-fuzz.test.ts'],
  /** Auth's REST operations from its openapi.json: shaped, damaged and wrong-kind inputs under every kind of credential. */
  auth: ['services/auth/test/rest-fuzz.test.ts'],
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in SECTIONS));
if (unknown.length > 0) {
  console.error(`unknown fuzz section(s): ${unknown.join(', ')}; known: ${Object.keys(SECTIONS).join(', ')}`);
  process.exit(2);
}
const files = (wanted.length ? wanted : Object.keys(SECTIONS)).flatMap((name) => SECTIONS[name]!);
const missing = files.filter((file) => !existsSync(file));
if (missing.length > 0) {
  console.error(`fuzz files missing: ${missing.join(', ')}`);
  process.exit(2);
}
const result = spawnSync('npx', ['vitest', 'run', ...files], {
  stdio: 'inherit',
  env: { ...process.env, FUZZ_RUNS: process.env.FUZZ_RUNS ?? '1000' },
});
process.exit(result.status ?? 1);
