import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayTestInstance, type GatewayTestInstance } from './gateway-test-instance';

let suite: GatewayTestInstance;
let authDb: pg.Client;
beforeAll(async () => {
  suite = await startGatewayTestInstance();
  authDb = new pg.Client({ connectionString: suite.databaseUrls.auth });
  await authDb.connect();
});
afterAll(async () => {
  await authDb?.end();
  await suite?.stop();
});

const storedCounts = async () => {
  const { rows } = await authDb.query('select (select count(*) from identities)::int as identities, (select count(*) from sessions)::int as sessions');
  return rows[0] as { identities: number; sessions: number };
};

const TEN_MB = 'x'.repeat(10 * 1024 * 1024);

describe('bad input gets a 4xx in the error shape and stores nothing', () => {
  const devTokenCases: [string, string, number, string][] = [
    ['malformed JSON', '{"email": "user@example.com"', 400, 'request:invalid_json'],
    ['wrong type', '{"email": 123}', 400, 'request:invalid'],
    ['missing email', '{}', 400, 'request:invalid'],
    ['not an email', '{"email": "not-an-email"}', 400, 'request:invalid'],
    ['unknown field', '{"email": "user@example.com", "admin": true}', 400, 'request:invalid'],
    ['array body', '[1,2,3]', 400, 'request:invalid'],
    ['unknown email', '{"email": "nobody@example.com"}', 404, 'user:not_found'],
    ['10 MB body', JSON.stringify({ email: TEN_MB }), 413, 'request:too_large'],
  ];

  for (const base of ['auth', 'gateway'] as const) {
    it.each(devTokenCases)(`POST /auth/dev/token via ${base}: %s`, async (_name, body, status, code) => {
      const before = await storedCounts();
      const url = base === 'auth' ? suite.urls.auth : suite.gatewayUrl;
      const response = await fetch(`${url}/auth/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(response.status).toBe(status);
      const answer = (await response.json()) as Record<string, unknown>;
      expect(answer).toMatchObject({ status, code });
      // Validation errors name the offending paths, never the values.
      expect(JSON.stringify(answer)).not.toContain('not-an-email');
      expect(await storedCounts()).toEqual(before);
    });
  }

  it('answers GraphQL parse errors, bad JSON and 10 MB bodies with 4xx in the GraphQL error shape, not 500', async () => {
    const send = (body: string) =>
      fetch(`${suite.gatewayUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const malformed = await send('{"query": ');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({
      errors: [{ message: 'Body is not valid JSON', extensions: { code: 'BAD_USER_INPUT', reason: 'request:invalid_json', status: 400 } }],
    });

    const huge = await send(JSON.stringify({ query: `{ __typename } # ${TEN_MB}` }));
    expect(huge.status).toBe(413);
    expect(await huge.json()).toEqual({
      errors: [{ message: 'Body is too large', extensions: { code: 'PAYLOAD_TOO_LARGE', reason: 'request:too_large', status: 413 } }],
    });

    const parse = await send(JSON.stringify({ query: '{ me { ' }));
    expect(parse.status).toBe(400);
    expect(((await parse.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('GRAPHQL_PARSE_FAILED');

    const unknownField = await send(JSON.stringify({ query: '{ me { password } }' }));
    expect(unknownField.status).toBe(400);
    expect(((await unknownField.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe(
      'GRAPHQL_VALIDATION_FAILED',
    );

    const wrongVariables = await fetch(`${suite.gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'query ($u: String!) { user(username: $u) { id } }', variables: { u: 42 } }),
    });
    expect(wrongVariables.status).toBe(400);
  });

  it('keeps the error shape for unknown routes and never leaks a stack trace', async () => {
    for (const url of [`${suite.gatewayUrl}/nope`, `${suite.urls.auth}/nope`, `${suite.urls.users}/nope`]) {
      const response = await fetch(url);
      expect(response.status).toBe(404);
      const text = await response.text();
      expect(JSON.parse(text)).toMatchObject({ status: 404, code: 'request:route_not_found' });
      expect(text).not.toMatch(/at .*\.ts:\d+/);
    }
  });
});
