import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAdminRequest } from '../src/admin/admin.routes';
import { startGatewayTestInstance, type GatewayTestInstance } from './gateway-test-instance';

const run = promisify(execFile);
const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

let suite: GatewayTestInstance;
beforeAll(async () => {
  suite = await startGatewayTestInstance({ env: { gateway: { ADMIN_TOKEN } } });
});
afterAll(() => suite?.stop());

/** `promtool check metrics` reads the exposition from stdin; it fails on malformed or badly named metrics. */
async function promtoolCheck(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'promtool-'));
  const file = join(dir, 'metrics.txt');
  await writeFile(file, text);
  const { stdout, stderr } = await run('bash', ['-c', `promtool check metrics < ${file}`]);
  return `${stdout}${stderr}`;
}

describe('gateway admin metrics', () => {
  it('answers JSON with operations, cache and errors to a loopback client', async () => {
    const { token } = await suite.devToken('user@example.com');
    await suite.graphql('query Me { me { id } }', { token });
    await suite.graphql('query Me { me { id } }', { token });
    await suite.graphql('{ me { id } }');

    const response = await fetch(`${suite.gatewayUrl}/admin/metrics`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      operations: { total: number; by_name: Record<string, number> };
      cache: { auth: Record<string, number>; query_plan: Record<string, number> };
      errors: { by_code: Record<string, number> };
    };
    expect(body.operations.by_name.Me).toBeGreaterThanOrEqual(2);
    expect(body.cache.auth.miss).toBeGreaterThanOrEqual(1);
    expect(body.cache.auth.hit).toBeGreaterThanOrEqual(1);
    expect(body.cache.query_plan.hit).toBeGreaterThanOrEqual(1);
    expect(body.errors.by_code.UNAUTHENTICATED).toBeGreaterThanOrEqual(1);
  });

  it('refuses clients behind a proxy hop unless they hold ADMIN_TOKEN', async () => {
    for (const path of ['/admin/metrics', '/admin/metrics/prometheus', '/metrics']) {
      const proxied = await fetch(`${suite.gatewayUrl}${path}`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
      expect(proxied.status, path).toBe(403);
      expect(await proxied.json()).toMatchObject({ status: 403, code: 'admin:forbidden' });
      const wrongToken = await fetch(`${suite.gatewayUrl}${path}`, {
        headers: { 'x-forwarded-for': '203.0.113.7', authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}x` },
      });
      expect(wrongToken.status, path).toBe(403);
      const withToken = await fetch(`${suite.gatewayUrl}${path}`, {
        headers: { 'x-forwarded-for': '203.0.113.7', authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(withToken.status, path).toBe(200);
    }
  });

  it('decides admin access from the socket address, not from headers a client controls', () => {
    const request = (remoteAddress: string, headers: Record<string, string> = {}) => ({ socket: { remoteAddress }, headers });
    expect(isAdminRequest(request('127.0.0.1'), undefined)).toBe(true);
    expect(isAdminRequest(request('::1'), undefined)).toBe(true);
    expect(isAdminRequest(request('::ffff:127.0.0.1'), undefined)).toBe(true);
    expect(isAdminRequest(request('10.0.0.5'), undefined)).toBe(false);
    expect(isAdminRequest(request('192.168.1.20', { 'x-real-ip': '127.0.0.1' }), undefined)).toBe(false);
    expect(isAdminRequest(request('127.0.0.1', { forwarded: 'for=198.51.100.1' }), undefined)).toBe(false);
    expect(isAdminRequest(request('198.51.100.1', { authorization: `Bearer ${ADMIN_TOKEN}` }), ADMIN_TOKEN)).toBe(true);
  });

  it('exposes Prometheus text that passes promtool on the gateway and on every service', async () => {
    const gateway = await (await fetch(`${suite.gatewayUrl}/admin/metrics/prometheus`)).text();
    for (const name of [
      'http_server_request_duration_seconds',
      'graphql_operation_duration_seconds',
      'graphql_errors_total',
      'gateway_subgraph_request_duration_seconds',
      'gateway_auth_cache_lookups_total',
      'gateway_query_plan_cache_lookups_total',
      'process_cpu_user_seconds_total',
    ]) {
      expect(gateway, name).toContain(`# TYPE ${name}`);
    }
    // Route templates, never raw paths.
    expect(gateway).toContain('route="/graphql"');
    expect(gateway).not.toMatch(/route="\/admin\/metrics\?/);
    await promtoolCheck(gateway);

    for (const [name, url] of Object.entries(suite.urls)) {
      const response = await fetch(`${url}/metrics`);
      expect(response.status, name).toBe(200);
      await promtoolCheck(await response.text());
    }
  });

  it('counts a single auth validation for concurrent misses on one token (single flight)', async () => {
    const { token } = await suite.devToken('admin@example.com');
    const validations = async () => {
      const text = await (await fetch(`${suite.urls.auth}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('http_server_request_duration_seconds_count') && l.includes('route="/validate-token"') && l.includes('status_code="200"'));
      return line ? Number(line.split(' ').at(-1)) : 0;
    };
    const before = await validations();
    const results = await Promise.all(Array.from({ length: 20 }, () => suite.graphql('{ me { email } }', { token })));
    expect(results.every((result) => result.errors === undefined)).toBe(true);
    expect((await validations()) - before).toBe(1);
  });

  it('exposes every metric that the alert rules and the Grafana dashboard query (gateway or auth)', async () => {
    const root = resolve(import.meta.dirname, '../..');
    const sources = [await readFile(join(root, 'infra/prometheus/alerts.yml'), 'utf8'), await readFile(join(root, 'infra/grafana/malet-gateway-auth.json'), 'utf8')];
    const used = new Set(
      sources
        .flatMap((text) => text.match(/\b[a-z][a-z0-9_]*_(?:total|seconds|bytes|state|count|bucket|sum)\b/g) ?? [])
        .map((name) => name.replace(/_(?:bucket|count|sum)$/, '')),
    );
    expect(used.size).toBeGreaterThanOrEqual(8);
    const exposed = (await (await fetch(`${suite.gatewayUrl}/admin/metrics/prometheus`)).text()) + (await (await fetch(`${suite.urls.auth}/metrics`)).text());
    const missing = [...used].filter((name) => !exposed.includes(`# TYPE ${name} `));
    expect(missing).toEqual([]);
  });
});
