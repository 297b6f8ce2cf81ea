import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { declaredErrors } from '../src/core/errors/error-catalogue';
import { startAuth, type AuthHarness } from './support';

const root = resolve(import.meta.dirname, '..');
const repo = resolve(root, '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') && !path.endsWith('.fixtures.ts') ? [path] : [];
  });
}

let auth: AuthHarness;
beforeAll(async () => {
  // Building the app loads every module, so every catalogue is declared.
  auth = await startAuth();
});
afterAll(() => auth?.stop());

describe("auth's error catalogue", () => {
  it('is the only place errors are built: no AppError (or subclass) is constructed outside a *.errors.ts catalogue', () => {
    const constructions = sourceFiles(join(root, 'src'))
      .filter((file) => !/\.errors\.ts$|error-catalogue\.ts$/.test(file))
      .flatMap((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .map((line, index) => ({ line, where: `${relative(root, file)}:${index + 1}` }))
          .filter(({ line }) => /new (App|Validation|Unauthenticated|Forbidden|NotFound|Conflict|RateLimited|ServiceUnavailable)Error\(/.test(line)),
      );
    expect(constructions.map((c) => c.where)).toEqual([]);
  });

  it('declares every code the shared packages can answer on auth (request parsing, internal tokens, readiness)', () => {
    const literals = ['packages/http-server/src', 'packages/internal-auth/src'].flatMap((dir) =>
      sourceFiles(join(repo, dir)).flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/'((?:request|internal|service|rate_limit):[a-z_]+)'/g)].map((m) => m[1]!)),
    );
    expect(literals.length).toBeGreaterThan(5);
    expect([...new Set(literals)].filter((code) => !declaredErrors().has(code))).toEqual([]);
  });

  it('maps each code to one status, and every declared code has a message', () => {
    for (const error of declaredErrors().values()) {
      expect(error.status, error.code).toBeGreaterThanOrEqual(400);
      expect(error.description.length, error.code).toBeGreaterThan(0);
    }
    // Declaring an existing code again is refused at load (unit-tested in error-catalogue.spec.ts);
    // so the map from code to declaration is the whole truth.
    expect(new Set([...declaredErrors().values()].map((error) => error.code)).size).toBe(declaredErrors().size);
  });
});

describe('REST and GraphQL name the same failure alike', () => {
  it('a request without a session: REST 401 auth:invalid_session, GraphQL UNAUTHENTICATED with the same domain code', async () => {
    const rest = await auth.api.get('/me');
    expect(rest).toMatchObject({ status: 401, body: { status: 401, code: 'auth:invalid_session' } });
    const graphql = await auth.graphql('{ me { id } }');
    expect(graphql.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'auth:invalid_session', status: 401 });
  });

  it("another user's sessions: GraphQL FORBIDDEN with the catalogue's auth:forbidden", async () => {
    const { identity: owner } = await auth.identities.createWithEvent({ email: 'catalogue-owner@example.com', verified: true });
    const { identity: stranger } = await auth.identities.createWithEvent({ email: 'catalogue-stranger@example.com', verified: true });
    const peek = await auth.graphql(`{ _entities(representations: [{ __typename: "User", id: "${owner.id}" }]) { ... on User { sessions { id } } } }`, {
      userId: stranger.id,
      email: stranger.email,
    });
    expect(peek.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'auth:forbidden', status: 403 });
  });
});
