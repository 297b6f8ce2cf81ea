/**
 * SCIM at enterprise size: look-ups by `userName eq` and `externalId eq` and paged listing over an
 * organization of 100,000 provisioned users, the same look-up in an organization of 1,000 (the
 * ratio should stay near 1: both are index look-ups), users provisioned per second through
 * `POST /Users` (auth mints each identity), and the margin over the 25 requests per second per
 * tenant Entra's gallery asks for. Also: deprovisioning latency, from the SCIM PATCH that
 * deactivates a user to the gateway refusing that user's session.
 *
 * The 100,000 resources are written straight into the SCIM database in the shape the service
 * writes them (creating them through auth would time auth, not SCIM); the provisioning row goes
 * through the whole path.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { startDnsServer, startTestPostgres, startTestRedis } from '@malet/testing';
import { startSuite } from '../test/support/suite';
import { loadHttp, opsPerSecond, type BenchSection } from './lib';

const LARGE = Number(process.env.BENCH_SCIM_USERS ?? 100_000);
const SMALL = 1_000;
const PROVISION = 300;
const DEPROVISION_ROUNDS = 10;
const ENTRA_RPS_PER_TENANT = 25;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

export async function run(): Promise<BenchSection> {
  const [postgres, redis, dns] = [await startTestPostgres(), await startTestRedis(), await startDnsServer()];
  const suite = await startSuite({
    postgresAdminUrl: postgres.adminUrl,
    redisUrl: redis.url,
    logLevel: 'warn',
    env: { organizations: { DNS_SERVERS: dns.address }, gateway: { SESSION_CACHE_TTL_MS: '600000' } },
  });
  const scimDb = new pg.Pool({ connectionString: suite.databaseUrls.scim, max: 4 });
  try {
    const graphql = async <T>(token: string, query: string, variables: Record<string, unknown>) => {
      const result = await suite.graphql<T>(query, { token, variables });
      if (result.errors) throw new Error(JSON.stringify(result.errors));
      return result.data!;
    };
    /** An organization with a verified domain and a SCIM token, made as a customer would. */
    const tenant = async () => {
      const { token } = await suite.devToken('user@example.com');
      const slug = `bench-${randomUUID().slice(0, 8)}`;
      const { createOrganization } = await graphql<{ createOrganization: { id: string } }>(token, 'mutation($s: String!) { createOrganization(name: "Bench", slug: $s) { id } }', { s: slug });
      const { addDomain } = await graphql<{ addDomain: { id: string; txtRecordName: string; txtRecordValue: string } }>(
        token,
        'mutation($o: ID!, $d: String!) { addDomain(organizationId: $o, domain: $d) { id txtRecordName txtRecordValue } }',
        { o: createOrganization.id, d: `${slug}.test` },
      );
      dns.records.set(addDomain.txtRecordName, [addDomain.txtRecordValue]);
      await graphql(token, 'mutation($i: ID!) { verifyDomain(id: $i) { verified } }', { i: addDomain.id });
      const { createScimToken } = await graphql<{ createScimToken: { token: string } }>(token, 'mutation($o: ID!) { createScimToken(organizationId: $o, name: "bench") { token } }', {
        o: createOrganization.id,
      });
      return { id: createOrganization.id, domain: `${slug}.test`, token: createScimToken.token };
    };
    /** `count` users in the stored shape, inserted by PostgreSQL itself. */
    const seed = async (organizationId: string, domain: string, count: number) => {
      await scimDb.query(
        `insert into scim_resources (organization_id, resource_type, external_id, user_name, target_id, attributes, created_at, updated_at)
         select $1::uuid, 'User', 'ext-' || n, 'user' || n || '@' || $2, gen_random_uuid(),
                jsonb_build_object('userName', 'user' || n || '@' || $2, 'externalId', 'ext-' || n, 'active', true,
                                   'name', jsonb_build_object('givenName', 'User', 'familyName', 'No' || n),
                                   'emails', jsonb_build_array(jsonb_build_object('value', 'user' || n || '@' || $2, 'type', 'work', 'primary', true))),
                now() - make_interval(secs => $3 - n), now()
         from generate_series(1, $3) as n`,
        [organizationId, domain, count],
      );
      await scimDb.query('analyze scim_resources');
    };

    const large = await tenant();
    const small = await tenant();
    await seed(large.id, large.domain, LARGE);
    await seed(small.id, small.domain, SMALL);

    const scimUrl = `${suite.urls.scim}/scim/v2`;
    const lookup = (name: string, target: { token: string; domain: string }, size: number, filter: (n: number) => string) =>
      loadHttp({
        name,
        url: `${scimUrl}/Users`,
        headers: { authorization: `Bearer ${target.token}` },
        requests: [
          {
            setupRequest: (request) => {
              const n = 1 + Math.floor(Math.random() * size);
              return { ...request, path: `/scim/v2/Users?filter=${encodeURIComponent(filter(n))}` };
            },
          },
        ],
      });
    const smallLookup = await lookup(`userName eq, ${SMALL.toLocaleString()} users`, small, SMALL, (n) => `userName eq "USER${n}@${small.domain}"`);
    const largeLookup = await lookup(`userName eq, ${LARGE.toLocaleString()} users`, large, LARGE, (n) => `userName eq "USER${n}@${large.domain}"`);
    const externalLookup = await lookup(`externalId eq, ${LARGE.toLocaleString()} users`, large, LARGE, (n) => `externalId eq "ext-${n}"`);
    const paged = await loadHttp({
      name: `paged list (count=100), ${LARGE.toLocaleString()} users`,
      url: `${scimUrl}/Users`,
      headers: { authorization: `Bearer ${large.token}` },
      requests: [
        {
          setupRequest: (request) => ({ ...request, path: `/scim/v2/Users?startIndex=${1 + Math.floor(Math.random() * (LARGE - 100))}&count=100` }),
        },
      ],
    });

    // Provisioning through the whole path: SCIM → auth (identity) → SCIM row and outbox event.
    const fresh = await tenant();
    const provisionRate = await opsPerSecond(PROVISION, 8, async (i) => {
      const email = `new${i}@${fresh.domain}`;
      const response = await fetch(`${scimUrl}/Users`, {
        method: 'POST',
        headers: { authorization: `Bearer ${fresh.token}`, 'content-type': 'application/scim+json' },
        body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: email, emails: [{ value: email, primary: true }], active: true }),
      });
      if (response.status !== 201) throw new Error(`provisioning answered ${response.status}: ${await response.text()}`);
    });

    // The outbox delivers in order: let the provisioning backlog drain first, so the rounds below
    // time deprovisioning itself (a deactivation queued behind a bulk import waits its turn).
    const drainStarted = performance.now();
    while (Number((await scimDb.query('select count(*)::int as n from outbox where delivered_at is null')).rows[0].n) > 0) {
      if (performance.now() - drainStarted > 120_000) throw new Error('the SCIM outbox did not drain within 2 minutes');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const drainSeconds = (performance.now() - drainStarted) / 1000;

    // Deprovisioning: PATCH active=false until the gateway (cache TTL 10 min) refuses the session.
    const delays: number[] = [];
    for (let round = 0; round < DEPROVISION_ROUNDS; round += 1) {
      const email = `leaver${round}@${fresh.domain}`;
      const created = await fetch(`${scimUrl}/Users`, {
        method: 'POST',
        headers: { authorization: `Bearer ${fresh.token}`, 'content-type': 'application/scim+json' },
        body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: email, active: true }),
      });
      const { id } = (await created.json()) as { id: string };
      const { token } = await suite.devToken(email);
      const me = async () => (await suite.graphql('{ me { id } }', { token })).errors?.[0]?.extensions?.code === 'UNAUTHENTICATED';
      if (await me()) throw new Error('a fresh session was refused');
      const patched = await fetch(`${scimUrl}/Users/${id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${fresh.token}`, 'content-type': 'application/scim+json' },
        body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] }),
      });
      const since = performance.now();
      if (patched.status !== 200) throw new Error(`deactivation answered ${patched.status}`);
      while (!(await me())) {
        if (performance.now() - since > 10_000) throw new Error('the session was still accepted 10 s after deactivation');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      delays.push(performance.now() - since);
    }
    const sortedDelays = [...delays].sort((a, b) => a - b);

    return {
      title: `SCIM: look-ups and listing over ${LARGE.toLocaleString()} users, provisioning, deprovisioning`,
      rows: [
        smallLookup,
        largeLookup,
        externalLookup,
        paged,
        { name: `POST /Users (through auth), ${PROVISION} users, 8 at a time`, rps: Math.round(provisionRate) },
        {
          name: `deactivate → gateway refuses the session (${DEPROVISION_ROUNDS} rounds)`,
          rps: 0,
          p50Ms: Math.round(percentile(sortedDelays, 50)),
          p99Ms: Math.round(percentile(sortedDelays, 99)),
          extra: { 'max ms': Math.round(sortedDelays.at(-1)!), 'within 1 s': `${delays.filter((d) => d <= 1_000).length}/${DEPROVISION_ROUNDS}` },
        },
      ],
      ratios: [
        { name: `userName eq p50 latency, ${LARGE.toLocaleString()} / ${SMALL.toLocaleString()} users`, value: (largeLookup.p50Ms ?? 0) / Math.max(smallLookup.p50Ms ?? 1, 1) },
        { name: `userName eq throughput, ${LARGE.toLocaleString()} / ${SMALL.toLocaleString()} users`, value: largeLookup.rps / smallLookup.rps },
        { name: `margin over Entra's ${ENTRA_RPS_PER_TENANT} req/s per tenant: userName look-ups`, value: largeLookup.rps / ENTRA_RPS_PER_TENANT },
        { name: `margin over Entra's ${ENTRA_RPS_PER_TENANT} req/s per tenant: provisioning`, value: provisionRate / ENTRA_RPS_PER_TENANT },
      ],
      notes: [
        'SCIM token answers are cached 5 s (SCIM_TOKEN_CACHE_TTL_MS), so look-ups measure SCIM and PostgreSQL, not organizations',
        'gateway session cache TTL is 10 minutes in the deprovisioning rounds: only the revocation eviction can end a cached session',
        `the outbox backlog of the provisioning run took ${drainSeconds.toFixed(1)} s to drain before the deprovisioning rounds (events are delivered in order, so a deactivation waits behind a bulk import)`,
        'load generator, the suite (5 services, gateway) and PostgreSQL share this machine',
      ],
    };
  } finally {
    await scimDb.end();
    await suite.stop();
    dns.close();
    await redis.stop();
    await postgres.stop();
  }
}
