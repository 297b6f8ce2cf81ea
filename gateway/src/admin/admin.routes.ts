import { timingSafeEqual } from 'node:crypto';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { ForbiddenError } from '@malet/errors';
import type { RevocationStreamState } from '@malet/session-client';
import type { CircuitStateName } from '../graphql/subgraph-circuit';
import { summarizeMetrics, type GatewayMetrics } from './gateway-metrics';

/**
 * Who may read the admin endpoints: a direct loopback client (no proxy hop in front of it, so
 * `X-Forwarded-For`/`Forwarded` must be absent), or anyone presenting ADMIN_TOKEN.
 */
export function isAdminRequest(
  req: { socket: { remoteAddress?: string | undefined }; headers: Record<string, string | string[] | undefined> },
  adminToken: string | undefined,
): boolean {
  const authorization = req.headers.authorization;
  if (adminToken && typeof authorization === 'string' && authorization.startsWith('Bearer ')) {
    const given = Buffer.from(authorization.slice(7));
    const expected = Buffer.from(adminToken);
    if (given.length === expected.length && timingSafeEqual(given, expected)) return true;
  }
  if (req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined) return false;
  return isLoopback(req.socket.remoteAddress);
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  if (address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

export function adminRoutes(deps: {
  metrics: GatewayMetrics;
  adminToken: string | undefined;
  authCache: () => { size: number; revocations: string };
  revocationStream: () => RevocationStreamState;
  circuitStates: () => Record<string, CircuitStateName>;
  /** False on the separate admin listener, which is reachable only where it is bound. */
  guard: boolean;
}): Router {
  const router = Router();
  const requireAdmin = (req: Request, _res: Response, next: NextFunction) => {
    if (deps.guard && !isAdminRequest(req, deps.adminToken)) {
      next(new ForbiddenError('Admin endpoints answer loopback clients or ADMIN_TOKEN holders', 'admin:forbidden'));
      return;
    }
    next();
  };
  router.get('/admin/metrics', requireAdmin, async function showMetricsJson(_req, res) {
    res.setHeader('Cache-Control', 'no-store');
    res.json(await summarizeMetrics(deps.metrics, { authCache: deps.authCache(), revocationStream: deps.revocationStream(), circuitStates: deps.circuitStates() }));
  });
  const prometheus = async function showMetricsPrometheus(_req: Request, res: Response) {
    res.setHeader('Cache-Control', 'no-store');
    res.type(deps.metrics.contentType).send(await deps.metrics.render());
  };
  router.get('/admin/metrics/prometheus', requireAdmin, prometheus);
  router.get('/metrics', requireAdmin, prometheus);
  return router;
}
