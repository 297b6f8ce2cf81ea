import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { ForbiddenError, UnauthenticatedError } from '@malet/errors';
import { INTERNAL_TOKEN_HEADER } from './internal-token-header';

export { INTERNAL_TOKEN_HEADER };

/**
 * Identity as the gateway vouches for it. Subgraphs and internal endpoints trust nothing else:
 * not `x-user-id`, not cookies, not the client's Authorization header.
 */
export interface InternalIdentity {
  /** The calling process, from the token's issuer (`gateway`, `auth`, ...). */
  caller: string;
  userId: string | null;
  email: string | null;
  sessionId: string | null;
  orgId: string | null;
  roles: string[];
  /** Authentication methods used for this session (RFC 8176 style: `otp`, `pwd`, `dev`...). */
  amr: string[];
}

/**
 * Every process that signs internal tokens; a token's issuer names one of them. An internal
 * endpoint lists the callers it serves (`requireInternalToken(verify, { callers: ['auth'] })`),
 * so a token minted for one conversation (the gateway's anonymous token, say) opens no other.
 */
export const INTERNAL_CALLERS = ['gateway', 'auth', 'users', 'organizations', 'content-feed', 'scim'] as const;
export type InternalCaller = (typeof INTERNAL_CALLERS)[number];
const AUDIENCE = 'malet-internal';
const ALGORITHM = 'HS256';

export type IdentityClaims = Omit<InternalIdentity, 'caller'>;

export const ANONYMOUS: IdentityClaims = {
  userId: null,
  email: null,
  sessionId: null,
  orgId: null,
  roles: [],
  amr: [],
};

function keyFrom(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/** Short-lived tokens: long enough for one request's fan-out, too short to be worth stealing. */
export function createInternalTokenSigner(options: { secret: string; issuer: InternalCaller; ttlSeconds?: number }) {
  const key = keyFrom(options.secret);
  const ttl = options.ttlSeconds ?? 60;
  return async function signInternalToken(claims: IdentityClaims = ANONYMOUS): Promise<string> {
    const jwt = new SignJWT({
      email: claims.email,
      sid: claims.sessionId,
      org: claims.orgId,
      roles: claims.roles,
      amr: claims.amr,
    })
      .setProtectedHeader({ alg: ALGORITHM })
      .setIssuer(options.issuer)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${ttl}s`);
    if (claims.userId) jwt.setSubject(claims.userId);
    return jwt.sign(key);
  };
}

export type InternalTokenSigner = ReturnType<typeof createInternalTokenSigner>;

/**
 * Verifies internal tokens. The gateway reuses one token per session for a while, so a token
 * verified once is remembered (by its exact text) until it expires: a signature is checked once,
 * not on every request. Expiry is still enforced on every call.
 */
export function createInternalTokenVerifier(options: { secret: string; allowedCallers?: string[]; cacheSize?: number }) {
  const key = keyFrom(options.secret);
  const verified = new Map<string, { identity: InternalIdentity; expiresAt: number }>();
  const cacheSize = options.cacheSize ?? 10_000;

  return async function verifyInternalToken(token: string | undefined): Promise<InternalIdentity> {
    if (!token) throw new UnauthenticatedError('Internal token required', 'internal:token_missing');
    const known = verified.get(token);
    if (known) {
      if (known.expiresAt > Date.now()) return known.identity;
      verified.delete(token);
    }
    try {
      const { payload } = await jwtVerify(token, key, { audience: AUDIENCE, algorithms: [ALGORITHM] });
      const caller = typeof payload.iss === 'string' ? payload.iss : '';
      if (options.allowedCallers && !options.allowedCallers.includes(caller)) {
        throw new UnauthenticatedError('Caller not allowed', 'internal:caller_not_allowed');
      }
      const identity: InternalIdentity = {
        caller,
        userId: payload.sub ?? null,
        email: stringOrNull(payload.email),
        sessionId: stringOrNull(payload.sid),
        orgId: stringOrNull(payload.org),
        roles: stringArray(payload.roles),
        amr: stringArray(payload.amr),
      };
      // Oldest first out: Map keeps insertion order.
      if (verified.size >= cacheSize) verified.delete(verified.keys().next().value!);
      verified.set(token, { identity, expiresAt: (payload.exp ?? 0) * 1000 });
      return identity;
    } catch (error) {
      if (error instanceof UnauthenticatedError) throw error;
      if (error instanceof joseErrors.JOSEError) {
        throw new UnauthenticatedError('Internal token invalid', 'internal:token_invalid');
      }
      throw error;
    }
  };
}

export type InternalTokenVerifier = ReturnType<typeof createInternalTokenVerifier>;

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

interface HeaderCarrier {
  headers: Record<string, string | string[] | undefined>;
}

/** 403 unless the verified token was issued by one of `callers`. */
export function assertCaller(identity: InternalIdentity, callers: readonly InternalCaller[]): void {
  if (!(callers as readonly string[]).includes(identity.caller)) {
    throw new ForbiddenError(`This endpoint serves ${callers.join(', ')} only`, 'internal:caller_forbidden');
  }
}

/**
 * Express middleware behind `requireInternalToken` (which verified the token and set
 * `req.identity`): 403 unless the caller is one of `callers`.
 */
export function allowCallers(callers: readonly InternalCaller[]) {
  if (callers.length === 0) throw new Error('an internal endpoint must name at least one caller');
  return function allowNamedCallers(req: { identity?: InternalIdentity }, _res: unknown, next: (error?: unknown) => void): void {
    if (!req.identity) return next(new UnauthenticatedError('Internal token required', 'internal:token_missing'));
    try {
      assertCaller(req.identity, callers);
      next();
    } catch (error) {
      next(error);
    }
  };
}

/**
 * Express middleware: every request on the guarded route needs a verified internal token (401
 * without one) issued by one of the callers the endpoint names (403 for any other caller).
 */
export function requireInternalToken(verify: InternalTokenVerifier, access: { callers: readonly InternalCaller[] }) {
  if (access.callers.length === 0) throw new Error('an internal endpoint must name at least one caller');
  return function verifyInternalTokenHeader(
    req: HeaderCarrier & { identity?: InternalIdentity },
    _res: unknown,
    next: (error?: unknown) => void,
  ): void {
    const raw = req.headers[INTERNAL_TOKEN_HEADER];
    verify(Array.isArray(raw) ? raw[0] : raw).then(
      (identity) => {
        try {
          assertCaller(identity, access.callers);
        } catch (error) {
          next(error);
          return;
        }
        req.identity = identity;
        next();
      },
      (error: unknown) => next(error),
    );
  };
}

declare module 'http' {
  interface IncomingMessage {
    identity?: InternalIdentity;
  }
}

export { callInternalApi, InternalServiceUnreachable, type InternalAnswer } from './internal-client';
