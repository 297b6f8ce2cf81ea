import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { SUBGRAPHS } from '../subgraphs';

/** The supergraph SDL composed from the subgraph schemas under `root`; throws with every composition error. */
export function composeSupergraph(root: string): string {
  const services = SUBGRAPHS.filter((subgraph) => existsSync(join(root, subgraph.schema))).map((subgraph) => ({
    name: subgraph.name,
    url: subgraph.devUrl,
    typeDefs: parse(readFileSync(join(root, subgraph.schema), 'utf8')),
  }));
  const result = composeServices(services);
  if (result.errors) throw new Error(`composition failed:\n${result.errors.map((error) => error.message).join('\n')}`);
  return `${result.supergraphSdl.trim()}\n`;
}
