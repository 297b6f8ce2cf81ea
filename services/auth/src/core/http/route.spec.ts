import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { finishHttpApp } from '@malet/http-server';
import { createInternalTokenVerifier } from '@malet/internal-auth';
import { coreErrors } from '../errors/core.errors';
import { createRateLimitGuard } from '../rate-limit/rate-limit.guard';
import { createRateLimiters } from '../rate-limit/rate-limiter';
import type { ActiveSession } from '../sessions/session.repository';
import { createOriginCheck } from './csrf';
import { buildOpenApiDocument } from './openapi';
import { defineRoute, mountRoutes } from './route';

const RECENT_SECONDS = 600;
let now = new Date('2026-01-01T12:00:00Z');
const session = (signedInSecondsAgo: number): ActiveSession => ({
  id: 's1',
  userId: 'u1',
  kind: 'web',
  email: 'u@example.com',
  roles: [],
  amr: ['pwd'],
  expiresAt: new Date(now.getTime() + 3_600_000),
  lastSeenAt: now,
  signedInAt: new Date(now.getTime() - signedInSecondsAgo * 1000),
});
/** Bearer tokens name how long ago their session signed in: `fresh-599` is 599 s old. */
const sessions = {
  async getActiveOrThrow(token: string | undefined) {
    const age = /^fresh-(\d+)$/.exec(token ?? '')?.[1];
    if (age === undefined) throw coreErrors.invalidSession();
    return session(Number(age));
  },
};

const routes = [
  defineRoute({
    method: 'post',
    path: '/things/:id',
    summary: 'Echo',
    tags: ['Spec'],
    access: 'public',
    limit: 'standard',
    params: z.object({ id: z.string().max(3) }),
    body: z.object({ name: z.string() }).strict(),
    responses: { 200: { description: 'Echoed' } },
    handle: ({ params, body }) => ({ id: params.id, name: body.name }),
  }),
  defineRoute({
    method: 'get',
    path: '/mine',
    summary: 'Session only',
    tags: ['Spec'],
    access: 'session',
    limit: 'standard',
    responses: { 200: { description: 'Mine' } },
    handle: ({ session: current }) => ({ user: current.userId }),
  }),
  defineRoute({
    method: 'post',
    path: '/sensitive',
    summary: 'Recent sign-in only',
    tags: ['Spec'],
    access: 'recent',
    limit: 'staticPage',
    responses: { 200: { description: 'Done' } },
    handle: () => ({ ok: true }),
  }),
  defineRoute({
    method: 'post',
    path: '/token',
    summary: 'OAuth-shaped errors',
    tags: ['Spec'],
    access: 'public',
    limit: 'standard',
    errorFormat: 'oauth2',
    responses: { 200: { description: 'Token' } },
    errors: [coreErrors.codes.invalidRefreshToken],
    handle: () => {
      throw coreErrors.invalidRefreshToken();
    },
  }),
  defineRoute({
    method: 'post',
    path: '/posted-back',
    summary: 'An identity provider posts here',
    tags: ['Spec'],
    access: 'public',
    limit: 'staticPage',
    crossSitePosts: 'the identity provider posts its answer from its own site',
    responses: { 200: { description: 'Accepted' } },
    handle: () => ({ ok: true }),
  }),
];

let base = '';
let close: () => void;
beforeAll(async () => {
  const app = express();
  app.use(express.json());
  app.locals.errorOptions = { production: false };
  const limits = createRateLimitGuard({ limiters: createRateLimiters(null), enabled: true });
  const verifyOrigin = createOriginCheck({ trustedOrigins: [], verifyInternalToken: createInternalTokenVerifier({ secret: 'v'.repeat(40) }) });
  app.use(mountRoutes(routes, { verifyOrigin, limits, sessions, clock: { now: () => now }, recentSignInSeconds: RECENT_SECONDS }));
  finishHttpApp(app);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => server.close();
});
afterAll(() => close?.());

const call = async (method: string, path: string, body?: unknown, token?: string) => {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
};

describe('declared routes', () => {
  it('validate params and body, answer the handler result as JSON, and never let a cache keep it', async () => {
    const ok = await call('POST', '/things/abc', { name: 'x' });
    expect(ok).toMatchObject({ status: 200, body: { id: 'abc', name: 'x' } });
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect(await call('POST', '/things/abcd', { name: 'x' })).toMatchObject({ status: 400, body: { code: 'request:invalid', fields: ['id'] } });
    expect(await call('POST', '/things/abc', { name: 'x', extra: 1 })).toMatchObject({ status: 400, body: { code: 'request:invalid' } });
  });

  it('hand `session` routes the live session, and refuse a missing or dead one with 401 auth:invalid_session', async () => {
    expect(await call('GET', '/mine', undefined, 'fresh-5')).toMatchObject({ status: 200, body: { user: 'u1' } });
    expect(await call('GET', '/mine')).toMatchObject({ status: 401, body: { code: 'auth:invalid_session' } });
    expect(await call('GET', '/mine', undefined, 'stale')).toMatchObject({ status: 401, body: { code: 'auth:invalid_session' } });
  });

  it(`let \`recent\` routes through up to ${RECENT_SECONDS} s after sign-in, and not one second later`, async () => {
    expect((await call('POST', '/sensitive', undefined, `fresh-${RECENT_SECONDS}`)).status).toBe(200);
    expect(await call('POST', '/sensitive', undefined, `fresh-${RECENT_SECONDS + 1}`)).toMatchObject({
      status: 403,
      body: { code: 'auth:reauthentication_required' },
    });
    now = new Date(now.getTime() + 1000);
    expect((await call('POST', '/sensitive', undefined, `fresh-${RECENT_SECONDS}`)).status).toBe(200);
  });

  it('run the origin check before anything else on state-changing routes, unless the route declares crossSitePosts', async () => {
    const hostile = { 'content-type': 'application/json', origin: 'https://evil.example.com' };
    const refused = await fetch(`${base}/things/abc`, { method: 'POST', headers: hostile, body: JSON.stringify({ name: 'x' }) });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: 'csrf:origin_not_trusted' });
    const open = await fetch(`${base}/posted-back`, { method: 'POST', headers: hostile, body: '{}' });
    expect(open.status).toBe(200);
    // Reads are never checked.
    expect((await fetch(`${base}/mine`, { headers: { origin: 'https://evil.example.com', authorization: 'Bearer fresh-5' } })).status).toBe(200);
  });

  it('write errors in the OAuth 2.0 shape where the route says so, keeping the catalogue status', async () => {
    const answer = await call('POST', '/token');
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ error: 'invalid_token', error_description: 'Refresh token invalid or expired', error_code: 'auth:invalid_refresh_token' });
    expect(answer.headers.get('pragma')).toBe('no-cache');
  });

  it('are documented from the same declarations: path parameters, implied and declared error codes', () => {
    const document = buildOpenApiDocument(routes, { version: 'spec', serverUrl: 'http://localhost' });
    const paths = document.paths as Record<string, Record<string, { responses: Record<string, { description: string }>; parameters?: { name: string; in: string }[]; security: unknown[] }>>;
    const echo = paths['/things/{id}']!.post!;
    expect(echo.parameters).toEqual([{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }]);
    // A POST can be refused by the origin check (403 csrf:*).
    expect(Object.keys(echo.responses)).toEqual(['200', '400', '403', '429']);
    expect(echo.responses['403']!.description).toContain('csrf:origin_not_trusted');
    expect(echo.security).toEqual([]);
    expect(paths['/mine']!.get!.responses['401']!.description).toContain('auth:invalid_session');
    expect(paths['/mine']!.get!.security).toEqual([{ sessionCookie: [] }, { bearer: [] }]);
    // A policy without checks cannot throttle, so no 429 is documented.
    expect(Object.keys(paths['/sensitive']!.post!.responses)).toEqual(['200', '401', '403']);
    expect(paths['/token']!.post!.responses['401']!.description).toContain('auth:invalid_refresh_token');
  });
});
