import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeSupergraph } from '../src/graphql/compose';

describe('the committed supergraph', () => {
  it('matches a fresh offline composition of the subgraph schemas (run `pnpm compose` when this fails)', () => {
    const root = resolve(import.meta.dirname, '../..');
    const committed = readFileSync(resolve(root, 'gateway/supergraph.graphql'), 'utf8');
    expect(committed).toBe(composeSupergraph(root));
  });
});
