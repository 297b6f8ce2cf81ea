import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrganizationsTestInstance } from '../../organizations/test/organizations-test-instance';
import { STRONG, issueDevToken, registerUser, startAuthForFile } from './support';
import { damaged, fromSchema, operationsOf, pathFor, queryFor, wireBody, type KnownValues, type WireBody } from './support/openapi-arbitraries';

/**
 * Property-based tests over every REST operation in `services/auth/openapi.json` (fast-check):
 * inputs shaped by the operation's schemas, the same damaged, and bodies of the wrong kind, sent
 * anonymously and with valid, forged and malformed credentials. Whatever comes in, auth answers
 * within the hang guard, never with a 5xx; every 4xx is the common error shape (or, for a page or
 * a form post, an HTML page); and a refused request stores nothing (row counts of every table
 * are the same before and after; failure audits (and their outbox events) and password-failure
 * counters excepted, whose purpose is to record refusals). FUZZ_RUNS sets the cases per operation (`pnpm fuzz auth`).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 12);
const HANG_GUARD_MS = 30_000;
/** A property's own deadline grows with its cases (a timed-out property would keep sending into the next one). */
const PROPERTY_TIMEOUT_MS = 60_000 + RUNS * 2_000;
/** Tables a refusal writes to by design: the failure's audit row, the lockout's counter. */
const WRITTEN_BY_REFUSALS = new Set(['audit_events', 'password_failures']);
/** Rows a table may gain from a refusal: the outbox carries each audit row on as an event. */
const COUNTED: Record<string, string> = { outbox: `topic <> 'audit.security_event'` };

const document = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'openapi.json'), 'utf8'));
const operations = operationsOf(document);
const known: KnownValues = { emails: ['fuzz.user@example.com', 'fuzz.other@example.com'], passwords: [STRONG] };

// The organizations service answers the SAML routes' questions (connections, verified domains), as in a deployment.
let organizations: Awaited<ReturnType<typeof startOrganizationsTestInstance>>;
beforeAll(async () => {
  organizations = await startOrganizationsTestInstance();
});
afterAll(async () => organizations?.stop());
const { auth, api } = startAuthForFile(() => ({ seed: [known.emails[1]!], env: { ORGANIZATIONS_URL: organizations.url } }));
let tables: string[] = [];
beforeAll(async () => {
  // One account with a password (verified, keeping it), one without.
  const { code } = await registerUser(api, auth.mail, known.emails[0]!, STRONG);
  expect((await api.post('/auth/verify-email', { email: known.emails[0], code, password: STRONG })).status).toBe(200);
  tables = (await auth.rows(sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`))
    .map((row) => String(row.table_name))
    .filter((table) => !WRITTEN_BY_REFUSALS.has(table));
});

/** Row counts of every table that a refusal must leave alone, once auth's background work has settled. */
async function rowCounts(): Promise<Record<string, number>> {
  await auth.background.settled();
  const selects = tables.map((table) => `select '${table}' as name, count(*)::int as n from "${table}" where ${COUNTED[table] ?? 'true'}`).join(' union all ');
  return Object.fromEntries((await auth.rows(sql.raw(selects))).map((row) => [String(row.name), Number(row.n)]));
}

type Credential = 'none' | 'session bearer' | 'session cookie' | 'forged bearer' | 'malformed bearer' | 'garbled cookies';
const credentialKinds: Credential[] = ['none', 'session bearer', 'session cookie', 'forged bearer', 'malformed bearer', 'garbled cookies'];

/** The live session the current case was given, if any: ended after the case, so the account's list stays short. */
let caseSession: string | null = null;
async function endCaseSession() {
  if (caseSession) await api.post('/auth/logout', undefined, { authorization: `Bearer ${caseSession}` });
  caseSession = null;
}

/** The headers of a credential; a live session is made for each case that needs one (a case may end it). */
async function credentialHeaders(kind: Credential): Promise<Record<string, string>> {
  switch (kind) {
    case 'none':
      return {};
    case 'session bearer':
      caseSession = await issueDevToken(auth, known.emails[1]!);
      return { authorization: `Bearer ${caseSession}` };
    case 'session cookie':
      caseSession = await issueDevToken(auth, known.emails[1]!);
      return { cookie: `session_token=${caseSession}` };
    case 'forged bearer':
      return { authorization: `Bearer sess_${'A'.repeat(43)}` };
    case 'malformed bearer':
      return { authorization: 'Bearer not a token' };
    case 'garbled cookies':
      return { cookie: 'session_token=%ZZ; session_token=x; =; ;' };
  }
}

/** Browser headers a case carries: none (an API client), auth's own page, or a hostile one. */
const originKinds = fc.constantFrom<Record<string, string>>({}, {}, { origin: 'http://localhost:3008', 'sec-fetch-site': 'same-origin' }, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });

interface Case {
  path: string;
  query: string;
  body: WireBody;
  credential: Credential;
  browser: Record<string, string>;
}

async function send(method: string, sent: Case, credential: Record<string, string>) {
  const headers: Record<string, string> = { ...credential, ...sent.browser };
  if (sent.body.contentType) headers['content-type'] = sent.body.contentType;
  const hasBody = sent.body.text !== undefined && method !== 'GET';
  const response = await fetch(`${auth.url}${sent.path}${sent.query}`, {
    method,
    headers,
    body: hasBody ? sent.body.text : undefined,
    redirect: 'manual',
    signal: AbortSignal.timeout(HANG_GUARD_MS),
  });
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() };
}

describe('REST fuzzing of every operation in openapi.json', () => {
  it('covers every documented operation', () => {
    expect(operations.length).toBeGreaterThan(40);
    expect(operations.filter((operation) => operation.method !== 'GET').length).toBeGreaterThan(25);
  });

  it.each(operations.map((operation) => [`${operation.method} ${operation.path}`, operation] as const))(
    '%s: no 5xx, no hang, the error shape on every 4xx, nothing stored by a refusal',
    async (_name, operation) => {
      const value = operation.body ? fromSchema(operation.body, known) : fc.constant(undefined);
      const arbitrary = fc.record({
        path: pathFor(operation),
        query: queryFor(operation.query, known),
        body: wireBody(fc.oneof({ weight: 2, arbitrary: value }, { weight: 1, arbitrary: damaged(value) })),
        credential: fc.constantFrom(...credentialKinds),
        browser: originKinds,
      });
      await fc.assert(
        fc.asyncProperty(arbitrary, async (sent) => {
          const credential = await credentialHeaders(sent.credential);
          const before = await rowCounts();
          const answer = await send(operation.method, sent, credential);
          const context = `${operation.method} ${sent.path}${sent.query} [${sent.credential}, ${JSON.stringify(sent.browser)}] ${sent.body.contentType ?? '-'} ${String(sent.body.text).slice(0, 300)} → ${answer.status} ${answer.text.slice(0, 300)}`;
          expect(answer.status, context).toBeLessThan(500);
          if (answer.status < 400) return;
          if (answer.contentType.startsWith('application/json')) {
            const body = JSON.parse(answer.text) as { status?: unknown; code?: unknown; details?: unknown };
            expect(body.status, context).toBe(answer.status);
            expect(body.code, context).toEqual(expect.stringMatching(/^[a-z_]+:[a-z_]+$/));
            expect(body, context).toHaveProperty('details');
          } else {
            // Only a documented page (an emailed link's) or a browser's form post is answered with a page.
            expect(answer.contentType, context).toMatch(/^text\/html/);
            expect(operation.answersPages || sent.body.contentType === 'application/x-www-form-urlencoded', context).toBe(true);
          }
          const after = await rowCounts();
          const changed = Object.keys(after).filter((table) => after[table] !== before[table]);
          expect(changed.map((table) => `${table}: ${before[table]} → ${after[table]}`), context).toEqual([]);
        }).afterEach(endCaseSession),
        { numRuns: RUNS },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
