/**
 * Regenerates a service's uncommitted Drizzle migrations as one file, so work in progress keeps
 * a single pending migration however often its schema changes. Committed migrations are never
 * touched. Usage: pnpm db:regenerate <service> [name]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [service, name = 'changes'] = process.argv.slice(2);
if (!service || !existsSync(join('services', service, 'drizzle.config.ts'))) {
  console.error('usage: pnpm db:regenerate <service> [migration-name]');
  process.exit(2);
}
const folder = join('services', service, 'drizzle');
const committed = new Set(
  execFileSync('git', ['ls-files', folder], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((path) => path.slice(folder.length + 1)),
);
const journalPath = join(folder, 'meta', '_journal.json');
if (existsSync(journalPath)) {
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { idx: number; tag: string }[] };
  const kept = journal.entries.filter((entry) => committed.has(`${entry.tag}.sql`));
  for (const entry of journal.entries.filter((e) => !kept.includes(e))) {
    rmSync(join(folder, `${entry.tag}.sql`), { force: true });
    rmSync(join(folder, 'meta', `${String(entry.idx).padStart(4, '0')}_snapshot.json`), { force: true });
  }
  writeFileSync(journalPath, `${JSON.stringify({ ...journal, entries: kept }, null, 2)}\n`);
}
execFileSync('npx', ['drizzle-kit', 'generate', '--name', name], { cwd: join('services', service), stdio: 'inherit' });
