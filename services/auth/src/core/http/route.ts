import { Router, type Request, type Response } from 'express';
import type { z } from 'zod';
import { useErrorRenderer, validate } from '@malet/http-server';
import { readCredential } from '@malet/session-client';
import { coreErrors } from '../errors/core.errors';
import type { DeclaredError } from '../errors/error-catalogue';
import { oauthErrorRenderer } from '../errors/oauth-error-renderer';
import type { RateLimitGuard } from '../rate-limit/rate-limit.guard';
import type { RateLimitPolicyName } from '../rate-limit/rate-limit.policies';
import type { ActiveSession } from '../sessions/session.repository';
import { SAFE_METHODS, type VerifyRequestOrigin } from './csrf';
import { markPrivateAnswer } from './private-answer';
import { requestMeta, type RequestMeta } from './request-meta';

/**
 * One declaration per route: what it is (method, path, summary), who may call it, its rate-limit
 * policy, its inputs, its answers and the error codes it may answer. `mountRoutes` turns a list of
 * them into an express router and `buildOpenApiDocument` into the OpenAPI document, so the two can
 * never disagree.
 *
 * - `public`: anyone.
 * - `session`: a live session (cookie or Bearer), handed to the handler; else 401
 *   `auth:invalid_session`.
 * - `recent`: a session that signed in at most `recentSignInSeconds` ago (sliding refresh does
 *   not count as signing in again); else 403 `auth:reauthentication_required`.
 *
 * Every answer is private (`Cache-Control: no-store`, never framed: core/http/private-answer.ts)
 * unless the route declares its caching: auth answers carry tokens, codes or account state that
 * no cache may keep and no other page may frame. Every state-changing route
 * passes the origin check (core/http/csrf.ts) before anything else, unless it declares
 * `crossSitePosts`.
 */
export type RouteAccess = 'public' | 'session' | 'recent';

type Input = z.ZodType | undefined;
type Parsed<S extends Input> = S extends z.ZodType ? z.infer<S> : undefined;

export interface RouteContext<A extends RouteAccess, B extends Input, Q extends Input, P extends Input> {
  req: Request;
  res: Response;
  body: Parsed<B>;
  query: Parsed<Q>;
  params: Parsed<P>;
  /** The caller's session for `session` and `recent` routes. */
  session: A extends 'public' ? null : ActiveSession;
  /** Client address and user agent, for audit rows and sessions. */
  meta: RequestMeta;
}

export interface ResponseDoc {
  description: string;
  body?: z.ZodType;
}

export interface RouteSpec<A extends RouteAccess = RouteAccess, B extends Input = Input, Q extends Input = Input, P extends Input = Input> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express syntax (`/auth/sessions/:id`); OpenAPI's `{id}` is derived from it. */
  path: string;
  summary: string;
  tags: readonly string[];
  access: A;
  /**
   * A `public` route that looks at the session credential itself (validation, refresh, logout:
   * a dead session is an answer there, not a refusal); documented with the session schemes.
   */
  readsCredential?: boolean;
  limit: RateLimitPolicyName;
  body?: B;
  query?: Q;
  params?: P;
  /** Adapts the raw query string before validation (e.g. a `+` that arrived as a space). */
  readQuery?: (req: Request) => unknown;
  /**
   * The schemas document the input, but the handler validates it itself (HTML pages answer bad
   * input with a page, not JSON); `ctx.body`, `ctx.query` and `ctx.params` are then not set.
   */
  validatesOwnInput?: boolean;
  /** Successful answers (and any error answer that is not a declared code, such as an HTML page). */
  responses: Record<number, ResponseDoc>;
  /** Codes the route answers besides validation, session and rate-limit failures. */
  errors?: readonly DeclaredError[];
  /** Only for public, token-free content (stylesheets, scripts, docs); otherwise the answer is private. */
  cacheControl?: string;
  /**
   * Why this state-changing route accepts posts from other sites (an identity provider's form
   * posting back): it then skips the origin check, and must prove its caller some other way.
   */
  crossSitePosts?: string;
  /** How errors are written: the platform's `{status, code, details}` (default) or RFC 6749's `{error, error_description}`. */
  errorFormat?: 'rest' | 'oauth2';
  /**
   * The handler. A returned value is sent as JSON with status 200 (set `ctx.res.status()` first
   * for another); a handler that writes the response itself returns nothing.
   */
  handle(ctx: RouteContext<A, B, Q, P>): unknown;
}

/** Declares a route; the generics only carry the inputs' types through to the handler. */
export function defineRoute<const A extends RouteAccess, B extends Input = undefined, Q extends Input = undefined, P extends Input = undefined>(
  spec: RouteSpec<A, B, Q, P>,
): RouteSpec {
  return spec as unknown as RouteSpec;
}

export interface RouteMountDeps {
  /** Login CSRF and CSRF: refuses state changes that a browser sent from an untrusted page. */
  verifyOrigin: VerifyRequestOrigin;
  limits: RateLimitGuard;
  sessions: { getActiveOrThrow(token: string | undefined): Promise<ActiveSession> };
  clock: { now(): Date };
  /** How recent a sign-in `recent` routes accept. */
  recentSignInSeconds: number;
}

/** An express router serving `routes` exactly as declared. */
export function mountRoutes(routes: readonly RouteSpec[], deps: RouteMountDeps): Router {
  const router = Router();
  for (const route of routes) {
    const handler = async function runDeclaredRoute(req: Request, res: Response) {
      if (route.cacheControl) res.setHeader('Cache-Control', route.cacheControl);
      else markPrivateAnswer(res);
      if (!SAFE_METHODS.has(req.method) && !route.crossSitePosts) await deps.verifyOrigin(req);
      await deps.limits.enforce(route.limit, req);
      const session = route.access === 'public' ? null : await deps.sessions.getActiveOrThrow(readCredential(req.headers)?.token);
      if (session && route.access === 'recent' && !signedInRecently(session, deps)) throw coreErrors.reauthenticationRequired();
      const parse = (schema: Input, input: () => unknown) => (schema && !route.validatesOwnInput ? validate(schema, input()) : undefined);
      const ctx: RouteContext<RouteAccess, Input, Input, Input> = {
        req,
        res,
        params: parse(route.params, () => req.params),
        query: parse(route.query, () => (route.readQuery ? route.readQuery(req) : req.query)),
        body: parse(route.body, () => req.body),
        session: session as never,
        meta: requestMeta(req),
      };
      const result = await route.handle(ctx);
      if (result !== undefined && !res.headersSent) res.json(result);
    };
    // Stack traces and logs name the route's own handler.
    Object.defineProperty(handler, 'name', { value: `${route.method.toUpperCase()} ${route.path}` });
    if (route.errorFormat === 'oauth2') router[route.method](route.path, useErrorRenderer(oauthErrorRenderer), handler);
    else router[route.method](route.path, handler);
  }
  return router;
}

function signedInRecently(session: ActiveSession, deps: Pick<RouteMountDeps, 'clock' | 'recentSignInSeconds'>): boolean {
  return deps.clock.now().getTime() - session.signedInAt.getTime() <= deps.recentSignInSeconds * 1000;
}
