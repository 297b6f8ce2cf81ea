/**
 * Composes the supergraph offline from the subgraphs' SDL (@apollo/composition; the rover CLI
 * downloads plugins at run time and cannot run here) and writes gateway/supergraph.graphql.
 * `--check` exits non-zero when the committed file is stale.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { composeSupergraph } from '../gateway/src/graphql/compose';

const outputPath = 'gateway/supergraph.graphql';
const supergraph = composeSupergraph(process.cwd());
if (process.argv.includes('--check')) {
  const committed = existsSync(outputPath) ? readFileSync(outputPath, 'utf8') : '';
  if (committed !== supergraph) {
    console.error(`${outputPath} is stale: run pnpm compose`);
    process.exit(1);
  }
  console.log(`${outputPath} is up to date`);
} else {
  writeFileSync(outputPath, supergraph);
  console.log(`wrote ${outputPath}`);
}
