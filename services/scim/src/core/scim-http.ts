import express, { type NextFunction, type Request, type Response } from 'express';
import { ScimError, SCIM_CONTENT_TYPE } from './scim-error';

/** SCIM bodies are `application/scim+json` (RFC 7644 section 3.1); plain JSON is accepted too, as IdPs send both. */
export function scimJsonBody(limit = '1mb') {
  return express.json({ limit, strict: true, type: ['application/scim+json', 'application/json'] });
}

export function sendScim(res: Response, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.status(status).set(headers).type(SCIM_CONTENT_TYPE).send(JSON.stringify(body));
}

/** The organization a request acts for, set by `requireScimToken`. */
export interface ScimTenant {
  organizationId: string;
  tokenId: string;
  verifiedDomains: string[];
}

export function tenantOf(res: Response): ScimTenant {
  return res.locals.scimTenant as ScimTenant;
}

/**
 * Every SCIM resource request carries `Authorization: Bearer scim_...`; the token decides the one
 * organization the request may see or change. Anything else is a 401 in the SCIM error schema.
 */
export function requireScimToken(verify: (token: string) => Promise<ScimTenant | null>) {
  const challenge = { 'WWW-Authenticate': 'Bearer realm="scim"' };
  return async function authenticateScimToken(req: Request, res: Response, next: NextFunction): Promise<void> {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(scim_[A-Za-z0-9_-]{20,128})\s*$/i.exec(header);
    if (!match) return next(new ScimError(401, undefined, 'A SCIM bearer token is required', challenge));
    try {
      const tenant = await verify(match[1]!);
      if (!tenant) return next(new ScimError(401, undefined, 'The SCIM token is invalid or revoked', challenge));
      res.locals.scimTenant = tenant;
      next();
    } catch (error) {
      next(error);
    }
  };
}
