import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { UnauthenticatedError } from '@malet/errors';

/**
 * Identity as the gateway vouches for it. Subgraphs and internal endpoints trust nothing else:
 * not `x-user-id`, not cookies, not the client's Authorization header.
 */
export interface InternalIdentity {
  /** The calling process (`gateway`, `auth`, ...). */
  caller: string;
  userId: string | null;
  email: string | null;
  sessionId: string | null;
  orgId: string | null;
  roles: string[];
  /** Authentication methods used for this session (RFC 8176 style: `otp`, `pwd`, `dev`...). */
  amr: string[];
}

export const INTERNAL_TOKEN_HEADER = 'x-internal-token';
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
export function createInternalTokenSigner(options: { secret: string; issuer: string; ttlSeconds?: number }) {
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

export function createInternalTokenVerifier(options: { secret: string; allowedCallers?: string[] }) {
  const key = keyFrom(options.secret);
  return async function verifyInternalToken(token: string | undefined): Promise<InternalIdentity> {
    if (!token) throw new UnauthenticatedError('Internal token required', 'internal:token_missing');
    try {
      const { payload } = await jwtVerify(token, key, { audience: AUDIENCE, algorithms: [ALGORITHM] });
      const caller = typeof payload.iss === 'string' ? payload.iss : '';
      if (options.allowedCallers && !options.allowedCallers.includes(caller)) {
        throw new UnauthenticatedError('Caller not allowed', 'internal:caller_not_allowed');
      }
      return {
        caller,
        userId: payload.sub ?? null,
        email: stringOrNull(payload.email),
        sessionId: stringOrNull(payload.sid),
        orgId: stringOrNull(payload.org),
        roles: stringArray(payload.roles),
        amr: stringArray(payload.amr),
      };
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

/** Express middleware: every request on the guarded router needs a verified internal token. */
export function requireInternalToken(verify: InternalTokenVerifier) {
  return function verifyInternalTokenHeader(
    req: HeaderCarrier & { identity?: InternalIdentity },
    _res: unknown,
    next: (error?: unknown) => void,
  ): void {
    const raw = req.headers[INTERNAL_TOKEN_HEADER];
    verify(Array.isArray(raw) ? raw[0] : raw).then(
      (identity) => {
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
