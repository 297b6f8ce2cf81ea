import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { SUBGRAPHS } from '../subgraphs';

/**
 * The supergraph SDL composed from the subgraph schemas under `root`; throws with every
 * composition error, and when a subgraph the registry lists has no schema (never a silent skip).
 */
export function composeSupergraph(root: string): string {
  const services = SUBGRAPHS.map((subgraph) => {
    const path = join(root, subgraph.schema);
    if (!existsSync(path)) throw new Error(`subgraph ${subgraph.name}: ${subgraph.schema} does not exist`);
    return { name: subgraph.name, url: subgraph.devUrl, typeDefs: parse(readFileSync(path, 'utf8')) };
  });
  const result = composeServices(services);
  if (result.errors) throw new Error(`composition failed:\n${result.errors.map((error) => error.message).join('\n')}`);
  return `${result.supergraphSdl.trim()}\n`;
}
