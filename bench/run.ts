/**
 * `pnpm bench [name...]`: runs bench/<name>.bench.ts (all of them by default) one after another
 * on this machine, prints each section with its ratios, and writes bench/results/latest.json.
 * Not part of the tests: timings belong here, never in assertions.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchSection } from './lib';

const dir = import.meta.dirname;
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((file) => file.endsWith('.bench.ts'))
  .filter((file) => wanted.length === 0 || wanted.includes(file.replace('.bench.ts', '')))
  .sort();

const sections: BenchSection[] = [];
for (const file of files) {
  console.log(`\n▶ ${file}`);
  const started = Date.now();
  const { run } = (await import(join(dir, file))) as { run: () => Promise<BenchSection> };
  const section = await run();
  sections.push(section);
  console.log(`\n${section.title}  (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  console.table(
    section.rows.map((row) => ({ name: row.name, 'req/s': row.rps || '', 'p50 ms': row.p50Ms ?? '', 'p99 ms': row.p99Ms ?? '', ...row.extra })),
  );
  for (const ratio of section.ratios ?? []) console.log(`  ${ratio.name}: ${ratio.value.toFixed(3)}`);
  for (const note of section.notes ?? []) console.log(`  note: ${note}`);
}

mkdirSync(join(dir, 'results'), { recursive: true });
writeFileSync(join(dir, 'results/latest.json'), `${JSON.stringify({ at: new Date().toISOString(), sections }, null, 2)}\n`);
console.log(`\nwrote ${join(dir, 'results/latest.json')}`);
