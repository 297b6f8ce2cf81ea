import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callInternalApi, createInternalTokenSigner, createInternalTokenVerifier, INTERNAL_TOKEN_HEADER, InternalServiceUnreachable } from '../src/index';

const SECRET = 'k'.repeat(48);
const signInternalToken = createInternalTokenSigner({ secret: SECRET, issuer: 'auth' });
const verify = createInternalTokenVerifier({ secret: SECRET });

/** What the server saw of the last request. */
let seen: { method?: string; contentType?: string; caller?: string; body: string } = { body: '' };
const routes: Record<string, (res: ServerResponse) => void> = {
  '/json': (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"username":"ada"}'),
  '/missing': (res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"code":"not_found"}'),
  '/failing': (res) => res.writeHead(502).end('bad gateway'),
  '/silent': () => {},
};
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    void verify(req.headers[INTERNAL_TOKEN_HEADER] as string | undefined).then(
      (identity) => {
        seen = { method: req.method, contentType: req.headers['content-type'], caller: identity.caller, body };
        routes[req.url!]!(res);
      },
      () => res.writeHead(401).end(),
    );
  });
});
let base = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('callInternalApi', () => {
  it('GETs with a fresh internal token and returns the status and the JSON body', async () => {
    expect(await callInternalApi({ url: `${base}/json`, signInternalToken, timeoutMs: 5_000 })).toEqual({ status: 200, ok: true, body: { username: 'ada' } });
    expect(seen).toEqual({ method: 'GET', contentType: undefined, caller: 'auth', body: '' });
  });

  it('POSTs a body as JSON', async () => {
    await callInternalApi({ url: `${base}/json`, signInternalToken, timeoutMs: 5_000, body: { email: 'a@example.com' } });
    expect(seen).toEqual({ method: 'POST', contentType: 'application/json', caller: 'auth', body: '{"email":"a@example.com"}' });
  });

  it('returns every other status for the caller to map, with the body undefined when it is not JSON', async () => {
    expect(await callInternalApi({ url: `${base}/missing`, signInternalToken, timeoutMs: 5_000 })).toEqual({ status: 404, ok: false, body: { code: 'not_found' } });
    expect(await callInternalApi({ url: `${base}/failing`, signInternalToken, timeoutMs: 5_000 })).toEqual({ status: 502, ok: false, body: undefined });
  });

  it('is InternalServiceUnreachable when nothing listens, or nothing answers before the deadline', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/json`;
    await new Promise((resolve) => closed.close(resolve));
    await expect(callInternalApi({ url: closedUrl, signInternalToken, timeoutMs: 5_000 })).rejects.toBeInstanceOf(InternalServiceUnreachable);
    await expect(callInternalApi({ url: `${base}/silent`, signInternalToken, timeoutMs: 200 })).rejects.toBeInstanceOf(InternalServiceUnreachable);
  });
});
