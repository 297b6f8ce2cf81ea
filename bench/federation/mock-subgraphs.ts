/**
 * The four subgraphs of the public federation benchmark (accounts, inventory, products,
 * reviews), served over node:http on loopback. Each is a real federation subgraph built with
 * `@apollo/subgraph` from the schemas in `subgraphs/` and the data in `fixtures.json`, with the
 * behaviour of the reference Rust subgraphs that the expected answer depends on (see the README):
 * every review's author is user 1, every user's reviews are the first two, inventory never knows
 * price or weight so `shippingEstimate` is null.
 *
 * Cheap on purpose: the benchmark measures gateways, so the subgraphs must not set the pace. A
 * request body seen before is answered from memory (the answer depends on the body alone); only
 * a new body is executed. Each subgraph counts the requests it receives; `GET /__counts` on any
 * of them reads the counts of all four and `DELETE /__counts` resets them (for a harness in
 * another process).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { DocumentNode, GraphQLSchema } from 'graphql';

// @apollo/subgraph is CommonJS: its schema must meet the CommonJS copy of graphql, never the ES
// module one a bundler-style loader (vitest) would pick for `import`, or graphql-js refuses it.
const { execute, parse, validate } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

export const SUBGRAPH_NAMES = ['accounts', 'inventory', 'products', 'reviews'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

interface Fixtures {
  users: { id: string; name: string; username: string; birthday: number }[];
  products: { upc: string; name: string; price: number; weight: number }[];
  inventory: { upc: string; inStock: boolean }[];
  reviews: { id: string; body: string; productUpc: string }[];
}

const dir = import.meta.dirname;
const fixtures = JSON.parse(readFileSync(join(dir, 'fixtures.json'), 'utf8')) as Fixtures;
const user = (id: string) => fixtures.users.find((candidate) => candidate.id === id) ?? null;
const product = (upc: string) => fixtures.products.find((candidate) => candidate.upc === upc) ?? null;
const review = (id: string) => fixtures.reviews.find((candidate) => candidate.id === id) ?? null;
/** Reviews as the reviews subgraph shows them: the author is always user 1 (`urigo`). */
const shownReview = (row: Fixtures['reviews'][number]) => ({ ...row, product: { upc: row.productUpc }, author: { id: '1', username: 'urigo' } });

const resolvers: Record<SubgraphName, Record<string, Record<string, unknown>>> = {
  accounts: {
    Query: { me: () => user('1'), user: (_: unknown, args: { id: string }) => user(args.id), users: () => fixtures.users },
    User: { __resolveReference: (reference: { id: string }) => user(reference.id) },
  },
  inventory: {
    Product: {
      // Inventory reads its own table, where price and weight are unset: the estimate is null.
      __resolveReference: (reference: { upc: string }) => {
        const row = fixtures.inventory.find((candidate) => candidate.upc === reference.upc);
        return row ? { upc: row.upc, inStock: row.inStock, price: null, weight: null } : null;
      },
      shippingEstimate: (row: { price: number | null; weight: number | null }) =>
        row.price === null || row.weight === null ? null : row.price > 1000 ? 0 : Math.round(row.weight * 0.5),
    },
  },
  products: {
    Query: { topProducts: (_: unknown, args: { first: number }) => fixtures.products.slice(0, args.first) },
    Product: { __resolveReference: (reference: { upc: string }) => product(reference.upc) },
  },
  reviews: {
    Review: { __resolveReference: (reference: { id: string }) => (review(reference.id) ? shownReview(review(reference.id)!) : null) },
    User: { reviews: () => fixtures.reviews.slice(0, 2).map(shownReview) },
    Product: { reviews: (row: { upc: string }) => fixtures.reviews.filter((candidate) => candidate.productUpc === row.upc).map(shownReview) },
  },
};

function schemaOf(name: SubgraphName): GraphQLSchema {
  const typeDefs = parse(readFileSync(join(dir, 'subgraphs', `${name}.graphql`), 'utf8'));
  return buildSubgraphSchema({ typeDefs, resolvers: resolvers[name] as never });
}

/** Answers one GraphQL-over-HTTP body; the JSON text is what the server sends. */
async function answer(schema: GraphQLSchema, body: string): Promise<{ status: number; text: string }> {
  let request: { query?: string; variables?: Record<string, unknown>; operationName?: string };
  let document: DocumentNode;
  try {
    request = JSON.parse(body) as typeof request;
    document = parse(request.query ?? '');
  } catch (error) {
    return { status: 400, text: JSON.stringify({ errors: [{ message: (error as Error).message }] }) };
  }
  const invalid = validate(schema, document);
  if (invalid.length > 0) return { status: 400, text: JSON.stringify({ errors: invalid.map((error) => error.toJSON()) }) };
  const result = await execute({ schema, document, variableValues: request.variables, operationName: request.operationName });
  return { status: 200, text: JSON.stringify(result) };
}

export interface MockSubgraphs {
  /** GraphQL endpoint of each subgraph. */
  urls: Record<SubgraphName, string>;
  /** Requests each subgraph received since the last reset, and answers computed (not from memory). */
  counts: () => { requests: Record<SubgraphName, number>; executed: number };
  reset: () => void;
  close: () => Promise<void>;
}

/** Starts the four subgraphs; `ports` (by name) defaults to free ones. */
export async function startMockSubgraphs(options: { host?: string; ports?: Partial<Record<SubgraphName, number>> } = {}): Promise<MockSubgraphs> {
  const host = options.host ?? '127.0.0.1';
  const requests = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, 0])) as Record<SubgraphName, number>;
  let executed = 0;
  const servers: Server[] = [];
  const urls = {} as Record<SubgraphName, string>;
  const reset = () => {
    for (const name of SUBGRAPH_NAMES) requests[name] = 0;
    executed = 0;
  };
  for (const name of SUBGRAPH_NAMES) {
    const schema = schemaOf(name);
    // Bounded: a gateway that batches differently from request to request cannot exhaust memory.
    const answers = new Map<string, Promise<{ status: number; text: string }>>();
    const server = createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/__counts') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ requests, executed }));
        return;
      }
      if (req.method === 'DELETE' && req.url === '/__counts') {
        reset();
        res.writeHead(204).end();
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        requests[name] += 1;
        const body = Buffer.concat(chunks).toString('utf8');
        let pending = answers.get(body);
        if (!pending) {
          executed += 1;
          pending = answer(schema, body);
          if (answers.size >= 10_000) answers.delete(answers.keys().next().value!);
          answers.set(body, pending);
        }
        void pending.then(({ status, text }) => {
          res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
          res.end(text);
        });
      });
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(options.ports?.[name] ?? 0, host, resolve));
    servers.push(server);
    urls[name] = `http://${host}:${(server.address() as AddressInfo).port}/graphql`;
  }
  return {
    urls,
    counts: () => ({ requests: { ...requests }, executed }),
    reset,
    close: async () => {
      for (const server of servers) server.closeAllConnections();
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    },
  };
}
