import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuth } from './support/auth-harness';

/**
 * Organizations keeps the SAML connections. When it cannot be asked (nothing listens) or fails
 * (5xx), SAML routes answer 503 saml:directory_unavailable with Retry-After, never a 404 that
 * would read as "this organization has no SAML" or a 500.
 */

const failing = createServer((_req, res) => res.writeHead(500, { 'content-type': 'application/json' }).end('{"status":500}'));
let unreachable: Awaited<ReturnType<typeof startAuth>>;
let broken: Awaited<ReturnType<typeof startAuth>>;

beforeAll(async () => {
  await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
  [unreachable, broken] = await Promise.all([
    startAuth({ env: { ORGANIZATIONS_URL: 'http://127.0.0.1:9' } }),
    startAuth({ env: { ORGANIZATIONS_URL: `http://127.0.0.1:${(failing.address() as AddressInfo).port}` } }),
  ]);
});
afterAll(async () => {
  await Promise.all([unreachable?.stop(), broken?.stop()]);
  await new Promise((resolve) => failing.close(resolve));
});

describe('SAML without the organizations service', () => {
  it.each([
    ['unreachable', () => unreachable],
    ['answering 500', () => broken],
  ])('organizations %s: login start and discovery answer 503 saml:directory_unavailable', async (_what, auth) => {
    for (const path of [`/auth/saml/${randomUUID()}/login`, `/auth/saml/discover?email=${encodeURIComponent('anyone@example.test')}`]) {
      const response = await fetch(`${auth().url}${path}`, { redirect: 'manual' });
      expect(response.status, path).toBe(503);
      expect(response.headers.get('retry-after'), path).toBe('1');
      expect(await response.json(), path).toMatchObject({ status: 503, code: 'saml:directory_unavailable' });
    }
  });
});
