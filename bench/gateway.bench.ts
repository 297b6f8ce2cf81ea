/**
 * Issue 2's benchmark: authenticated `{ me { id email } }` through the gateway (warm session
 * cache, and a unique token per request so every request validates against auth), the same
 * query sent straight to the auth subgraph with an internal token, and a bare node:http
 * hello-world as the ceiling of this machine, all measured in one run.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInternalTokenSigner } from '@malet/internal-auth';
import { startTestPostgres, startTestRedis } from '@malet/testing';
import { startSuite } from '../test/support/suite';
import { cpuSeconds } from './federation/processes';
import { loadHttp, storeSessions, type BenchRow, type BenchSection } from './lib';

const QUERY = JSON.stringify({ query: '{ me { id email } }' });

export async function run(): Promise<BenchSection> {
  const [postgres, redis] = [await startTestPostgres(), await startTestRedis()];
  // Large caches: the unique-token run must miss because each token is new, not because of eviction.
  const suite = await startSuite({ postgresAdminUrl: postgres.adminUrl, redisUrl: redis.url, logLevel: 'warn', env: { gateway: { SESSION_CACHE_MAX_ENTRIES: '500000' } } });
  const hello = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"hello":"world"}');
  });
  await new Promise<void>((resolve) => hello.listen(0, '127.0.0.1', resolve));
  try {
    const { token, user } = await suite.devToken('user@example.com');
    const internalToken = await createInternalTokenSigner({ secret: suite.internalTokenSecret, issuer: 'gateway', ttlSeconds: 3600 })({
      userId: user.id,
      email: user.email,
      sessionId: null,
      orgId: null,
      roles: [],
      amr: [],
    });

    // Sessions for the unique-token run, and a second pool for validation at auth alone, so
    // neither run finds the other's sessions warm.
    const uniqueTokens = await storeSessions(suite.databaseUrls.auth!, user.id, 60_000);
    const validationTokens = await storeSessions(suite.databaseUrls.auth!, user.id, 60_000);

    // Requests per CPU-second of the processes that serve them (the auth subgraph alone, or the
    // gateway and auth): a ratio that a machine busy with other work moves far less than req/s.
    const seconds = Number(process.env.BENCH_SECONDS ?? 10);
    const [authPid, gatewayPid] = [suite.process('auth').child.pid!, suite.process('gateway-0').child.pid!];
    const perCpuSecond = async (pids: number[], measure: Promise<BenchRow>) => {
      const before = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
      const row = await measure;
      const cpu = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0) - before;
      const value = (row.rps * seconds) / cpu;
      row.extra = { ...row.extra, 'req per serving core-s': Math.round(value) };
      return { row, value };
    };
    const post = { method: 'POST' as const, body: QUERY };
    const json = { 'content-type': 'application/json' };
    // Both paths warmed first (JIT, connection pools, caches), so neither measured row pays for
    // the other's warm-up: the rows below run one after the other.
    const directRequest = { url: `${suite.urls.auth}/graphql`, ...post, headers: { ...json, 'x-internal-token': internalToken } };
    const gatewayRequest = { url: `${suite.gatewayUrl}/graphql`, ...post, headers: { ...json, authorization: `Bearer ${token}` } };
    for (const request of [directRequest, gatewayRequest]) await loadHttp({ name: 'warm-up', ...request, durationSeconds: 3 });
    const rows = [];
    rows.push(await loadHttp({ name: 'node:http hello-world', url: `http://127.0.0.1:${(hello.address() as AddressInfo).port}/` }));
    // Direct and through the gateway, alternated in pairs: the gateway row keeps both cores busy
    // (the direct one about two thirds), so a neighbour's burst costs it more; pairing the rows
    // and taking the median pair keeps one burst from deciding the ratio.
    const pairCount = Number(process.env.BENCH_GATEWAY_PAIRS ?? 3);
    const pairs = [];
    for (let pair = 0; pair < pairCount; pair += 1) {
      const direct = await perCpuSecond([authPid], loadHttp({ name: 'auth subgraph direct (internal token)', ...directRequest }));
      const warm = await perCpuSecond([gatewayPid, authPid], loadHttp({ name: 'gateway, session cache warm', ...gatewayRequest }));
      pairs.push({ direct, warm, ratio: warm.row.rps / direct.row.rps, cpuRatio: warm.value / direct.value });
    }
    const medianPair = [...pairs].sort((a, b) => a.ratio - b.ratio)[Math.floor(pairs.length / 2)]!;
    const medianCpuRatio = pairs.map((pair) => pair.cpuRatio).sort((a, b) => a - b)[Math.floor(pairs.length / 2)]!;
    rows.push(medianPair.direct.row, medianPair.warm.row);
    let next = 0;
    const unique = await loadHttp({
      name: 'gateway, unique token per request (validates at auth)',
      url: `${suite.gatewayUrl}/graphql`,
      ...post,
      headers: json,
      requests: [
        {
          setupRequest: (request) => {
            const credential = uniqueTokens[next++ % uniqueTokens.length];
            return { ...request, headers: { ...request.headers, authorization: `Bearer ${credential}` } };
          },
        },
      ],
    });
    if (next > uniqueTokens.length) unique.extra = { note: `tokens reused after ${uniqueTokens.length}: raise the pool` };
    rows.push(unique);

    // Session validation at auth for a cache miss: the request the gateway sends for a credential
    // it has not seen, each one a session auth must look up.
    let nextValidation = 0;
    const validation = await perCpuSecond(
      [authPid],
      loadHttp({
        name: 'auth POST /validate-token, a new session per request (cache miss)',
        url: `${suite.urls.auth}/validate-token`,
        method: 'POST',
        // As an internal caller: exempt from the per-address ceiling, which the rows before have spent.
        headers: { 'x-internal-token': internalToken },
        requests: [
          {
            setupRequest: (request) => {
              const credential = validationTokens[nextValidation++ % validationTokens.length];
              return { ...request, headers: { ...request.headers, authorization: `Bearer ${credential}` } };
            },
          },
        ],
      }),
    );
    if (nextValidation > validationTokens.length) validation.row.extra = { ...validation.row.extra, note: `tokens reused after ${validationTokens.length}: raise the pool` };
    rows.push(validation.row);

    const [helloRow, subgraph, warm, cold] = rows as [typeof rows[0], typeof rows[0], typeof rows[0], typeof rows[0]];
    return {
      title: 'Gateway: authenticated { me { id email } }',
      rows,
      ratios: [
        { name: `gateway warm / subgraph direct (median of ${pairs.length} alternated pairs)`, value: medianPair.ratio },
        { name: 'gateway warm / subgraph direct, per CPU-second of the serving processes (gateway + auth, or auth; median pair)', value: medianCpuRatio },
        { name: 'gateway unique-token / gateway warm', value: cold.rps / warm.rps },
        { name: 'gateway warm / node:http hello-world', value: warm.rps / helloRow.rps },
        { name: 'subgraph direct / node:http hello-world', value: subgraph.rps / helloRow.rps },
      ],
      notes: [
        `direct and warm rows: the median pair of ${pairs.length}; every pair (direct req/s, gateway req/s, ratio): ${pairs.map((pair) => `${pair.direct.row.rps}/${pair.warm.row.rps}/${pair.ratio.toFixed(3)}`).join(', ')}`,
        `${uniqueTokens.length} distinct sessions for the unique-token run (${next} requests sent), ${validationTokens.length} more for validation at auth (${nextValidation} sent)`,
        '"req per serving core-s" of the validation row: session validations per second of auth\'s CPU (a cache miss each)',
        'load generator (autocannon) and hello-world share this process; gateway, auth and users are separate processes; 2 cores in all',
      ],
    };
  } finally {
    await new Promise((resolve) => hello.close(resolve));
    await suite.stop();
    await redis.stop();
    await postgres.stop();
  }
}
