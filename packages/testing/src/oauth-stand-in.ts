import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import { createLocalJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import { OAuth2Issuer, OAuth2Service, type MutableResponse, type MutableToken } from 'oauth2-mock-server';

/**
 * Stand-ins for the five sign-in providers, each an independent OAuth 2.0 / OpenID Connect
 * server (`oauth2-mock-server`: authorization, token with PKCE, JWKS, user info, revocation)
 * under its own path on one port (`/google`, `/apple`, ...). What the library does not do, this
 * adds through its documented hooks, so the other side of the protocol behaves like the real
 * provider:
 *
 * - the authorization endpoint signs in the user named by `login_hint` (an email or a handle)
 *   without a form, `user@example.com` without one, so `curl -L` can follow a whole flow;
 * - an authorization code is single use and carries the user into both tokens;
 * - the user-info endpoint checks the Bearer token (signature, expiry, revocation) and answers in
 *   each provider's own shape (OIDC claims for Google, `{data: {...}}` for X, GitHub's `/user`
 *   plus `/user/emails`, Facebook's `/me`); Google's `tokeninfo` says whom a token was issued to.
 *
 * `pnpm dev` runs it for every provider without credentials (scripts/dev/oauth-stand-in.ts);
 * tests run it to play each provider.
 */
export const STAND_IN_PROVIDERS = ['google', 'apple', 'twitter', 'facebook', 'github'] as const;
export type StandInProvider = (typeof STAND_IN_PROVIDERS)[number];

export interface StandInUser {
  /** The provider's stable id of the user. */
  subject: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  /** A handle (GitHub login, X username). */
  username: string | null;
}

export interface StandInEndpoints {
  issuer: string;
  authorization: string;
  token: string;
  userinfo: string;
  jwks: string;
  revocation: string;
  /** Google only: which client a token was issued to. */
  tokeninfo: string;
  /** GitHub only: the user's addresses and whether GitHub verified them. */
  emails: string;
}

const DEFAULT_USER_EMAIL = 'user@example.com';

/** Where a stand-in is: the origin browsers are sent to, and the one servers call (an IPv4 loopback). */
export interface StandInOrigins {
  publicOrigin: string;
  serverOrigin: string;
}

/** Each provider's endpoints on a stand-in: its own path, the oauth2-mock-server routes under it. */
export function standInEndpoints(origins: StandInOrigins, provider: StandInProvider): StandInEndpoints {
  const browser = `${origins.publicOrigin}/${provider}`;
  const backend = `${origins.serverOrigin}/${provider}`;
  return {
    issuer: browser,
    authorization: `${browser}/authorize`,
    token: `${backend}/token`,
    userinfo: `${backend}/userinfo`,
    jwks: `${backend}/jwks`,
    revocation: `${backend}/revoke`,
    tokeninfo: `${backend}/tokeninfo`,
    emails: `${backend}/user/emails`,
  };
}

/**
 * Auth's variables that point `providers` at a stand-in (what `pnpm dev` sets for every
 * provider without credentials): web client `malet-<provider>`, native app client
 * `malet-<provider>-app`, every endpoint the real provider has.
 */
export function standInAuthEnv(origins: StandInOrigins, providers: readonly StandInProvider[] = STAND_IN_PROVIDERS): Record<string, string> {
  const env: Record<string, string> = {};
  for (const provider of providers) {
    const prefix = `OAUTH_${provider.toUpperCase()}_`;
    const endpoints = standInEndpoints(origins, provider);
    Object.assign(env, {
      [`${prefix}CLIENT_ID`]: `malet-${provider}`,
      [`${prefix}CLIENT_SECRET`]: 'stand-in-secret',
      [`${prefix}MOBILE_CLIENT_IDS`]: `malet-${provider}-app`,
      [`${prefix}ISSUER`]: endpoints.issuer,
      [`${prefix}AUTHORIZATION_URL`]: endpoints.authorization,
      [`${prefix}TOKEN_URL`]: endpoints.token,
      ...(provider === 'apple' ? {} : { [`${prefix}USERINFO_URL`]: endpoints.userinfo }),
      ...(provider === 'google' || provider === 'apple' ? { [`${prefix}JWKS_URL`]: endpoints.jwks } : {}),
      ...(provider === 'google' ? { [`${prefix}TOKENINFO_URL`]: endpoints.tokeninfo } : {}),
      ...(provider === 'github' ? { [`${prefix}EMAILS_URL`]: endpoints.emails } : {}),
    });
  }
  return env;
}

/** A stable numeric-looking id per provider and email, like the providers' own. */
const subjectFor = (provider: string, key: string) => String(parseInt(createHash('sha256').update(`${provider}:${key}`).digest('hex').slice(0, 12), 16));

export async function startOAuthProviderStandIn(options: { port?: number; host?: string; publicHost?: string } = {}) {
  const host = options.host ?? '127.0.0.1';
  const app = express();
  app.disable('x-powered-by');
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(options.port ?? 0, host, () => resolve(listening));
  });
  const port = (server.address() as AddressInfo).port;
  /** What browsers are sent to; servers call `serverOrigin` (an IPv4 loopback, whatever `localhost` resolves to). */
  const publicOrigin = `http://${options.publicHost ?? host}:${port}`;
  const serverOrigin = `http://${host}:${port}`;

  const users = new Map<string, StandInUser>();
  const revoked = new Set<string>();
  const providers = new Map<StandInProvider, { issuer: OAuth2Issuer; foreign: OAuth2Issuer; service: OAuth2Service }>();

  const userKey = (provider: string, hint: string) => `${provider}:${hint.trim().toLowerCase()}`;

  function addUser(provider: StandInProvider, user: Partial<StandInUser> & ({ email: string } | { username: string })): StandInUser {
    const key = user.email ?? user.username!;
    const full: StandInUser = {
      subject: user.subject ?? subjectFor(provider, key),
      email: user.email ?? null,
      emailVerified: user.emailVerified ?? true,
      name: user.name ?? null,
      username: user.username ?? (user.email ? user.email.split('@')[0]! : null),
    };
    if (full.email) users.set(userKey(provider, full.email), full);
    if (full.username) users.set(userKey(provider, full.username), full);
    return full;
  }

  /** The user a `login_hint` names; an unknown email signs in as a new, verified user (dev convenience). */
  function userFor(provider: StandInProvider, hint: string | undefined): StandInUser {
    const key = hint?.trim() || DEFAULT_USER_EMAIL;
    return users.get(userKey(provider, key)) ?? addUser(provider, key.includes('@') ? { email: key } : { username: key });
  }

  /** Claims every token of `user` carries, as this provider spells them. */
  function claimsOf(provider: StandInProvider, user: StandInUser): Record<string, unknown> {
    const claims: Record<string, unknown> = { sub: user.subject };
    if (user.email) {
      claims.email = user.email;
      // Apple sends the flag as a string.
      claims.email_verified = provider === 'apple' ? String(user.emailVerified) : user.emailVerified;
    }
    if (user.name) claims.name = user.name;
    if (user.username) claims.preferred_username = user.username;
    return claims;
  }

  /** The provider's user-info answer for a verified access token's claims. */
  function userinfoBody(provider: StandInProvider, claims: JWTPayload): Record<string, unknown> {
    const user = { subject: String(claims.sub), email: (claims.email as string | undefined) ?? null, name: (claims.name as string | undefined) ?? null, username: (claims.preferred_username as string | undefined) ?? null };
    const verified = claims.email_verified === true || claims.email_verified === 'true';
    switch (provider) {
      case 'twitter':
        return { data: { id: user.subject, name: user.name ?? user.username, username: user.username, ...(user.email && verified ? { confirmed_email: user.email } : {}) } };
      case 'facebook':
        return { id: user.subject, name: user.name, ...(user.email ? { email: user.email } : {}) };
      case 'github':
        return { id: Number(user.subject), login: user.username, name: user.name, email: null };
      default:
        return { sub: user.subject, ...(user.email ? { email: user.email, email_verified: verified } : {}), ...(user.name ? { name: user.name } : {}) };
    }
  }

  for (const provider of STAND_IN_PROVIDERS) {
    const issuer = new OAuth2Issuer();
    await issuer.keys.generate('RS256');
    issuer.url = `${publicOrigin}/${provider}`;
    // Same issuer name, keys the provider never published: tokens it signs must be refused.
    const foreign = new OAuth2Issuer();
    await foreign.keys.generate('RS256');
    foreign.url = issuer.url;
    const service = new OAuth2Service(issuer);
    providers.set(provider, { issuer, foreign, service });

    const codes = new Map<string, { user: StandInUser; used: boolean }>();
    service.on('beforeAuthorizeRedirect', ({ url }: { url: URL }, req: Request) => {
      const code = url.searchParams.get('code');
      const hint = typeof req.query.login_hint === 'string' ? req.query.login_hint : undefined;
      if (code) codes.set(code, { user: userFor(provider, hint), used: false });
    });
    service.on('beforeTokenSigning', (token: MutableToken, req: Request) => {
      const body = req.body as Record<string, string | undefined>;
      const grant = body.code ? codes.get(body.code) : undefined;
      if (!grant) return;
      const clientId = body.client_id ?? basicAuthUser(req);
      Object.assign(token.payload, claimsOf(provider, grant.user));
      // Both tokens name the client: access tokens as Google's tokeninfo reports it, ID tokens as
      // OIDC requires. Set here because the library takes HTTP Basic credentials without the
      // form-decoding RFC 6749 (2.3.1) asks for (`malet%2Dtwitter`).
      if (clientId) Object.assign(token.payload, { aud: clientId, azp: clientId });
    });
    service.on('beforeResponse', (response: MutableResponse, req: Request) => {
      const code = (req.body as Record<string, string | undefined>).code;
      if (!code) return;
      const grant = codes.get(code);
      // Codes this server never issued, or issued and already exchanged, are refused (RFC 6749 4.1.2).
      if (!grant || grant.used) {
        response.statusCode = 400;
        response.body = { error: 'invalid_grant', error_description: 'unknown or used authorization code' };
        return;
      }
      grant.used = true;
    });
    service.on('beforeRevoke', (_response: unknown, req: Request) => {
      const token = (req.body as Record<string, string | undefined> | undefined)?.token;
      if (token) revoked.add(token);
    });

    /** The Bearer token's claims when this provider signed it, it has not expired and was not revoked. */
    const verifyAccessToken = async (token: string | undefined): Promise<JWTPayload | null> => {
      if (!token || revoked.has(token)) return null;
      try {
        // Tests issue tokens on their own (advanced) clock: expiry is judged from the later of now and the issue time.
        const issuedAt = Number(decodeJwt(token).iat ?? 0) * 1000;
        const currentDate = new Date(Math.max(Date.now(), issuedAt));
        const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: issuer.keys.toJSON() }), { issuer: issuer.url, currentDate });
        return payload;
      } catch {
        return null;
      }
    };
    const bearerOf = (req: Request) => /^Bearer (.+)$/i.exec(req.get('authorization') ?? '')?.[1];

    // RFC 7009 revocation posts a form, which the mock's own router does not parse for the hook above.
    app.use(`/${provider}/revoke`, express.urlencoded({ extended: false }));
    app.get(`/${provider}/userinfo`, async (req: Request, res: Response) => {
      const claims = await verifyAccessToken(bearerOf(req));
      if (!claims) {
        res.status(401).set('WWW-Authenticate', 'Bearer error="invalid_token"').json({ error: 'invalid_token' });
        return;
      }
      res.json(userinfoBody(provider, claims));
    });
    app.get(`/${provider}/user/emails`, async (req: Request, res: Response) => {
      const claims = await verifyAccessToken(bearerOf(req));
      if (!claims) {
        res.status(401).json({ message: 'Bad credentials' });
        return;
      }
      const verified = claims.email_verified === true || claims.email_verified === 'true';
      res.json(claims.email ? [{ email: claims.email, primary: true, verified, visibility: 'private' }] : []);
    });
    app.get(`/${provider}/tokeninfo`, async (req: Request, res: Response) => {
      const token = typeof req.query.access_token === 'string' ? req.query.access_token : undefined;
      const claims = await verifyAccessToken(token);
      if (!claims) {
        res.status(400).json({ error: 'invalid_token', error_description: 'Invalid Value' });
        return;
      }
      res.json({
        azp: claims.azp,
        aud: claims.aud,
        sub: claims.sub,
        scope: claims.scope,
        exp: String(claims.exp),
        expires_in: String(Math.max(0, (claims.exp ?? 0) - Math.floor(Date.now() / 1000))),
        ...(claims.email ? { email: claims.email, email_verified: String(claims.email_verified) } : {}),
      });
    });
    app.use(`/${provider}`, service.requestHandler);
  }

  const get = (provider: StandInProvider) => providers.get(provider)!;

  const endpointsOf = (provider: StandInProvider) => standInEndpoints({ publicOrigin, serverOrigin }, provider);



  return {
    /** Where browsers reach it. */
    url: publicOrigin,
    port,

    endpointsOf,

    /** Auth's variables that point `providers` at this stand-in (see `standInAuthEnv`). */
    authEnv: (providers: readonly StandInProvider[] = STAND_IN_PROVIDERS) => standInAuthEnv({ publicOrigin, serverOrigin }, providers),

    addUser,

    /** The oauth2-mock-server service behind `provider`, for tests that bend its answers (`once('beforeTokenSigning', ...)`). */
    service: (provider: StandInProvider) => get(provider).service,

    /**
     * Tokens as the provider would give a native app signed in as `user` (`aud` its client id),
     * signed with the provider's published key, or with a key it never published (`signedBy:
     * 'foreign'`). `claims` overrides or removes (`undefined`) claims; `expiresIn` may be negative.
     */
    async issueTokens(
      provider: StandInProvider,
      input: {
        user: StandInUser;
        clientId: string;
        nonce?: string;
        expiresIn?: number;
        /** When the provider issued them (the test's clock); now by default. */
        issuedAt?: Date;
        claims?: Record<string, unknown>;
        signedBy?: 'provider' | 'foreign';
      },
    ): Promise<{ accessToken: string; idToken: string }> {
      const { issuer, foreign } = get(provider);
      const signer = input.signedBy === 'foreign' ? foreign : issuer;
      const expiresIn = input.expiresIn ?? 3600;
      const iat = Math.floor((input.issuedAt ?? new Date()).getTime() / 1000);
      const build = (extra: Record<string, unknown>) =>
        signer.buildToken({
          expiresIn,
          scopesOrTransform: (_header, payload) => {
            Object.assign(payload, { iat, nbf: iat - 10, exp: iat + expiresIn });
            Object.assign(payload, claimsOf(provider, input.user), { aud: input.clientId, azp: input.clientId }, extra, input.claims ?? {});
            for (const [name, value] of Object.entries(input.claims ?? {})) if (value === undefined) delete payload[name];
          },
        });
      return {
        accessToken: await build({ scope: 'openid email profile' }),
        idToken: await build(input.nonce === undefined ? {} : { nonce: input.nonce }),
      };
    },

    /** Revokes an access token at the provider, as its revocation endpoint does. */
    revoke(token: string): void {
      revoked.add(token);
    },

    async stop(): Promise<void> {
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

export type OAuthProviderStandIn = Awaited<ReturnType<typeof startOAuthProviderStandIn>>;

function basicAuthUser(req: Request): string | undefined {
  const match = /^Basic (.+)$/i.exec(req.get('authorization') ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const user = decoded.slice(0, decoded.indexOf(':'));
  return user ? decodeURIComponent(user) : undefined;
}
