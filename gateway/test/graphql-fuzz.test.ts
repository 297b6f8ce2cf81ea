import fc from 'fast-check';
import { buildClientSchema, getIntrospectionQuery, type GraphQLSchema, type IntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anyVariables, invalidDocument, validOperation } from './fuzz/graphql-arbitraries';
import { startGatewayTestInstance, type GatewayTestInstance } from './gateway-test-instance';

/**
 * Property-based tests over the gateway's GraphQL schema (fast-check): random valid operations
 * with random arguments, damaged and made-up documents, random variables and bodies, sent
 * anonymously and with valid, forged and malformed credentials. Whatever comes in, the gateway
 * answers within the hang guard, never with a 5xx or an INTERNAL_SERVER_ERROR, and every 4xx is
 * in the GraphQL error shape. FUZZ_RUNS sets the cases per property (`pnpm fuzz gateway` runs many).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 30);
const HANG_GUARD_MS = 30_000;

let suite: GatewayTestInstance;
let schema: GraphQLSchema;
let credentials: Record<string, string>[];
beforeAll(async () => {
  suite = await startGatewayTestInstance();
  const { token } = await suite.devToken('user@example.com');
  credentials = [
    {},
    { authorization: `Bearer ${token}` },
    { cookie: `session_token=${token}` },
    { authorization: `Bearer sess_${'A'.repeat(43)}` },
    { authorization: 'Bearer not a token' },
    { cookie: 'session_token=%ZZ; session_token=x' },
  ];
  const introspection = await suite.graphql<IntrospectionQuery>(getIntrospectionQuery(), { token });
  schema = buildClientSchema(introspection.data!);
});
afterAll(() => suite?.stop());

type Answer = { status: number; body: unknown };

async function send(body: string, headers: Record<string, string>): Promise<Answer> {
  const response = await fetch(`${suite.gatewayUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    signal: AbortSignal.timeout(HANG_GUARD_MS),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: response.status, body: parsed };
}

/** The contract every answer keeps, whatever was sent. */
function expectWellFormed(answer: Answer, sent: string) {
  const context = `sent ${sent.slice(0, 500)} → ${answer.status} ${JSON.stringify(answer.body).slice(0, 500)}`;
  expect(answer.status, context).toBeLessThan(500);
  const body = answer.body as { data?: unknown; errors?: { message?: unknown; extensions?: { code?: unknown } }[] };
  expect(typeof body, context).toBe('object');
  if (answer.status >= 400) {
    expect(body.errors?.[0]?.extensions?.code, context).toEqual(expect.any(String));
    expect(body.errors?.[0]?.message, context).toEqual(expect.any(String));
  } else {
    expect('data' in body || 'errors' in body, context).toBe(true);
  }
  for (const error of body.errors ?? []) expect(error.extensions?.code, context).not.toBe('INTERNAL_SERVER_ERROR');
}

const credential = () => fc.nat({ max: 5 }).map((index) => credentials[index]!);

describe('GraphQL fuzzing through the gateway', () => {
  it('answers random valid operations with random arguments and credentials without a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constant(null).chain(() => validOperation(schema)), credential(), async (query, headers) => {
        const body = JSON.stringify({ query });
        expectWellFormed(await send(body, headers), body);
      }),
      { numRuns: RUNS },
    );
  });

  it('answers damaged, made-up and noisy documents with random variables without a 5xx, every 4xx in the GraphQL error shape', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constant(null).chain(() => invalidDocument(schema)), anyVariables, credential(), async (query, variables, headers) => {
        const body = JSON.stringify({ query, variables });
        expectWellFormed(await send(body, headers), body);
      }),
      { numRuns: RUNS },
    );
  });

  it('regression found by this fuzzer: inviteMember with an explicit null role (its default is MEMBER) is answered, not an internal error', async () => {
    const body = JSON.stringify({ query: 'mutation { inviteMember(organizationId: "", email: "", role: null) { status } }' });
    const answer = await send(body, credentials[1]!);
    expectWellFormed(answer, body);
    expect((answer.body as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('NOT_FOUND');
  });

  it('answers bodies that are not GraphQL requests at all (any JSON, any text) without a 5xx', async () => {
    const bodies = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
      fc.record({ query: fc.jsonValue({ maxDepth: 2 }), variables: fc.jsonValue({ maxDepth: 2 }), operationName: fc.jsonValue({ maxDepth: 1 }) }).map((value) => JSON.stringify(value)),
      fc.string({ maxLength: 200 }),
    );
    await fc.assert(
      fc.asyncProperty(bodies, credential(), async (body, headers) => {
        expectWellFormed(await send(body, headers), body);
      }),
      { numRuns: RUNS },
    );
  });
});
