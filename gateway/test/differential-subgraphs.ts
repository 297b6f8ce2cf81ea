/**
 * Three federation subgraphs built to exercise what a gateway executor must get right, served
 * over node:http on loopback by @apollo/subgraph: entities spread over subgraphs, `@requires`,
 * an interface and a union, enums and a custom scalar, lists of lists, entities a subgraph cannot
 * resolve (null), fields that fail with an error at their path, non-null fields that come back
 * null (so the null bubbles up to the nearest nullable parent), and a mutation.
 *
 * Used to compare the compiled executor with @apollo/gateway's own on the same requests.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { composeServices } from '@apollo/composition';
import type { GraphQLSchema } from 'graphql';

// @apollo/subgraph is CommonJS: its schemas must meet the CommonJS copy of graphql.
const { execute, parse, validate, GraphQLScalarType } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable", "@external", "@requires"])';

const typeDefs = {
  accounts: `${LINK}
    interface Node { id: ID! }
    enum Role { ADMIN MEMBER }
    union SearchResult = User | Team
    type User implements Node @key(fields: "id") { id: ID! name: String! email: String nickname: String! role: Role! tags: [String!] }
    type Team implements Node @key(fields: "id") { id: ID! title: String! members: [User]! }
    type Query {
      me: User
      user(id: ID!): User
      users(first: Int = 3): [User!]!
      node(id: ID!): Node
      search(term: String!): [SearchResult!]!
    }`,
  products: `${LINK}
    type Product @key(fields: "upc") { upc: String! name: String! price: Int weight: Float createdBy: User sizes: [[String]] }
    type User @key(fields: "id") { id: ID! products: [Product!]! favourite: Product }
    type Query { topProducts(first: Int = 5): [Product] product(upc: String!): Product }
    type Mutation { rename(upc: String!, name: String!): Product }`,
  reviews: `${LINK}
    scalar JSON
    type Review @key(fields: "id") { id: ID! body: String! rating: Int! meta: JSON author: User product: Product }
    type Product @key(fields: "upc") { upc: String! price: Int @external weight: Float @external reviews: [Review!]! shippingEstimate: Int @requires(fields: "price weight") }
    type User @key(fields: "id") { id: ID! reviews: [Review!]! }`,
} as const;

type Name = keyof typeof typeDefs;

interface UserRow {
  id: string;
  name: string;
  email: string;
  /** null breaks the non-null `nickname`: the null bubbles up. */
  nickname: string | null;
  role: string;
  tags: string[] | null;
}

const users: UserRow[] = [
  { id: '1', name: 'Ada', email: 'ada@example.com', nickname: 'ada', role: 'ADMIN', tags: ['math', 'engines'] },
  // User 2's email fails with an error at its path.
  { id: '2', name: 'Brian', email: 'brian@example.com', nickname: 'bk', role: 'MEMBER', tags: null },
  { id: '3', name: 'Chen', email: 'chen@example.com', nickname: null, role: 'MEMBER', tags: [] },
  { id: '4', name: 'Dana', email: 'dana@example.com', nickname: 'dee', role: 'MEMBER', tags: ['x'] },
];
const teams = [
  { id: 't1', title: 'Engines', memberIds: ['1', '2', '404'] },
  { id: 't2', title: 'Empty', memberIds: [] },
];
const products = [
  { upc: 'p1', name: 'Table', price: 899, weight: 100, creator: '1', sizes: [['S', 'M'], [], null] },
  { upc: 'p2', name: 'Couch', price: 1299, weight: 1000, creator: '3', sizes: null },
  { upc: 'p3', name: 'Chair', price: 54, weight: 50, creator: '404', sizes: [['L']] },
  // Only the products subgraph knows p4; reviews cannot resolve it and answer null.
  { upc: 'p4', name: 'Lamp', price: null, weight: null, creator: '2', sizes: [[null, 'XL']] },
];
const reviews = [
  { id: 'r1', body: 'Love it', rating: 5, author: '1', product: 'p1', meta: { verified: true, tags: ['a'] } },
  { id: 'r2', body: 'Too big', rating: 2, author: '2', product: 'p1', meta: null },
  { id: 'r3', body: 'Fine', rating: 3, author: '3', product: 'p2', meta: 'plain' },
  { id: 'r4', body: 'Ghost', rating: 1, author: '404', product: 'missing', meta: 7 },
  { id: 'r5', body: 'Best chair', rating: 4, author: '1', product: 'p3', meta: [1, 2] },
];

const user = (id: string) => users.find((row) => row.id === id) ?? null;
const product = (upc: string) => products.find((row) => row.upc === upc) ?? null;

const JSONScalar = new GraphQLScalarType({ name: 'JSON', serialize: (value) => value, parseValue: (value) => value });

const resolvers = {
  accounts: {
    Query: {
      me: () => user('1'),
      user: (_: unknown, { id }: { id: string }) => user(id),
      users: (_: unknown, { first }: { first: number }) => users.slice(0, Math.max(0, first)),
      node: (_: unknown, { id }: { id: string }) => user(id) ?? teams.find((team) => team.id === id) ?? null,
      search: (_: unknown, { term }: { term: string }) => [...users.filter((row) => row.name.toLowerCase().includes(term.toLowerCase())), ...teams.filter((team) => team.title.toLowerCase().includes(term.toLowerCase()))],
    },
    Node: { __resolveType: (row: object) => ('title' in row ? 'Team' : 'User') },
    SearchResult: { __resolveType: (row: object) => ('title' in row ? 'Team' : 'User') },
    User: {
      __resolveReference: ({ id }: { id: string }) => user(id),
      email: (row: UserRow) => {
        if (row.id === '2') throw new Error('email is private');
        return row.email;
      },
    },
    Team: {
      __resolveReference: ({ id }: { id: string }) => teams.find((team) => team.id === id) ?? null,
      members: (team: (typeof teams)[number]) => team.memberIds.map(user),
    },
  },
  products: {
    Query: {
      topProducts: (_: unknown, { first }: { first: number }) => products.slice(0, Math.max(0, first)),
      product: (_: unknown, { upc }: { upc: string }) => product(upc),
    },
    Mutation: {
      rename: (_: unknown, { upc, name }: { upc: string; name: string }) => {
        const row = product(upc);
        if (row) row.name = name;
        return row;
      },
    },
    Product: {
      __resolveReference: ({ upc }: { upc: string }) => product(upc),
      createdBy: (row: (typeof products)[number]) => ({ id: row.creator }),
    },
    User: {
      __resolveReference: ({ id }: { id: string }) => ({ id }),
      products: ({ id }: { id: string }) => products.filter((row) => row.creator === id),
      favourite: ({ id }: { id: string }) => (id === '1' ? product('p3') : id === '2' ? { upc: 'p9' } : null),
    },
  },
  reviews: {
    JSON: JSONScalar,
    Review: {
      __resolveReference: ({ id }: { id: string }) => reviews.find((row) => row.id === id) ?? null,
      author: (row: (typeof reviews)[number]) => ({ id: row.author }),
      product: (row: (typeof reviews)[number]) => ({ upc: row.product }),
    },
    Product: {
      __resolveReference: (reference: { upc: string; price?: number | null; weight?: number | null }) =>
        reference.upc === 'p4' ? null : { ...reference, reviews: reviews.filter((row) => row.product === reference.upc) },
      shippingEstimate: (row: { price?: number | null; weight?: number | null }) => {
        if (row.price === undefined || row.weight === undefined) throw new Error('shippingEstimate needs price and weight');
        return row.price === null || row.weight === null ? null : row.price > 1000 ? 0 : Math.round(row.weight * 0.5);
      },
    },
    User: {
      __resolveReference: ({ id }: { id: string }) => ({ id }),
      reviews: ({ id }: { id: string }) => reviews.filter((row) => row.author === id),
    },
  },
};

export interface DifferentialSubgraphs {
  urls: Record<Name, string>;
  /** The supergraph of the three, composed with @apollo/composition, pointing at `urls`. */
  supergraphSdl: string;
  close(): Promise<void>;
}

export async function startDifferentialSubgraphs(): Promise<DifferentialSubgraphs> {
  const servers: Server[] = [];
  const urls = {} as Record<Name, string>;
  for (const name of Object.keys(typeDefs) as Name[]) {
    const schema = buildSubgraphSchema({ typeDefs: parse(typeDefs[name]), resolvers: resolvers[name] as never }) as unknown as GraphQLSchema;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        void (async () => {
          const { query, variables, operationName } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { query: string; variables?: Record<string, unknown>; operationName?: string };
          const document = parse(query);
          const errors = validate(schema, document);
          const result = errors.length > 0 ? { errors } : await execute({ schema, document, variableValues: variables ?? null, operationName: operationName ?? null });
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify(result));
        })();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    urls[name] = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  }
  const composed = composeServices((Object.keys(typeDefs) as Name[]).map((name) => ({ name, url: urls[name], typeDefs: parse(typeDefs[name]) as never })));
  if (composed.errors || !composed.supergraphSdl) throw new Error(`composition failed: ${composed.errors?.map((error) => error.message).join('; ')}`);
  return {
    urls,
    supergraphSdl: composed.supergraphSdl,
    close: async () => {
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    },
  };
}
