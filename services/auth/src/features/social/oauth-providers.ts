import { normalizeEmail } from '../../core/identities/email';
import type { UpstreamIdentity } from '../../core/linked-identities/linked-identity.service';

/** The providers seed 000 names, plus GitHub (seeds 002 and 003). */
export const PROVIDER_NAMES = ['google', 'apple', 'twitter', 'facebook', 'github'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** How the providers name themselves on buttons. */
export const PROVIDER_LABELS: Record<ProviderName, string> = { google: 'Google', apple: 'Apple', twitter: 'X', facebook: 'Facebook', github: 'GitHub' };

export const isProviderName = (value: string): value is ProviderName => (PROVIDER_NAMES as readonly string[]).includes(value);

/** Each provider's real endpoints; every one can be overridden (social.config.ts). */
export const PROVIDER_DEFAULTS: Record<
  ProviderName,
  { issuer: string; authorization: string; token: string; userinfo: string | null; jwks: string | null; tokeninfo: string | null; emails: string | null }
> = {
  google: {
    issuer: 'https://accounts.google.com',
    authorization: 'https://accounts.google.com/o/oauth2/v2/auth',
    token: 'https://oauth2.googleapis.com/token',
    userinfo: 'https://openidconnect.googleapis.com/v1/userinfo',
    jwks: 'https://www.googleapis.com/oauth2/v3/certs',
    tokeninfo: 'https://oauth2.googleapis.com/tokeninfo',
    emails: null,
  },
  apple: {
    issuer: 'https://appleid.apple.com',
    authorization: 'https://appleid.apple.com/auth/authorize',
    token: 'https://appleid.apple.com/auth/token',
    userinfo: null,
    jwks: 'https://appleid.apple.com/auth/keys',
    tokeninfo: null,
    emails: null,
  },
  twitter: {
    issuer: 'https://x.com',
    authorization: 'https://x.com/i/oauth2/authorize',
    token: 'https://api.x.com/2/oauth2/token',
    userinfo: 'https://api.x.com/2/users/me?user.fields=confirmed_email',
    jwks: null,
    tokeninfo: null,
    emails: null,
  },
  facebook: {
    issuer: 'https://www.facebook.com',
    authorization: 'https://www.facebook.com/v23.0/dialog/oauth',
    token: 'https://graph.facebook.com/v23.0/oauth/access_token',
    userinfo: 'https://graph.facebook.com/v23.0/me?fields=id,name,email',
    jwks: null,
    tokeninfo: null,
    emails: null,
  },
  github: {
    issuer: 'https://github.com',
    authorization: 'https://github.com/login/oauth/authorize',
    token: 'https://github.com/login/oauth/access_token',
    userinfo: 'https://api.github.com/user',
    jwks: null,
    tokeninfo: null,
    emails: 'https://api.github.com/user/emails',
  },
};

/**
 * How each provider signs users in. `oidc` providers (Google, Apple) return an ID token, checked
 * with the `nonce` sent at the start (replay of a stolen code or token fails); `oauth2` providers
 * (X, Facebook, GitHub) are asked for the profile with the access token. PKCE goes everywhere a
 * provider accepts it (X requires it; Apple does not support it, its `state` and `nonce` do
 * that work). Apple posts its answer back (`form_post`), the only way it returns the user's name.
 */
export interface ProviderBehaviour {
  protocol: 'oidc' | 'oauth2';
  scopes: string;
  pkce: boolean;
  responseMode: 'query' | 'form_post';
  /** RFC 6749 2.3.1: credentials in the body (`post`) or HTTP Basic (`basic`, X's requirement). */
  clientAuth: 'post' | 'basic';
  /** Which mobile credentials `POST /auth/mobile/token` accepts for it. */
  mobile: { accessToken: boolean; idToken: boolean };
}

export const PROVIDER_BEHAVIOUR: Record<ProviderName, ProviderBehaviour> = {
  google: { protocol: 'oidc', scopes: 'openid email profile', pkce: true, responseMode: 'query', clientAuth: 'post', mobile: { accessToken: true, idToken: true } },
  apple: { protocol: 'oidc', scopes: 'openid name email', pkce: false, responseMode: 'form_post', clientAuth: 'post', mobile: { accessToken: false, idToken: true } },
  twitter: { protocol: 'oauth2', scopes: 'users.read tweet.read users.email', pkce: true, responseMode: 'query', clientAuth: 'basic', mobile: { accessToken: true, idToken: false } },
  facebook: { protocol: 'oauth2', scopes: 'public_profile email', pkce: true, responseMode: 'query', clientAuth: 'post', mobile: { accessToken: true, idToken: false } },
  github: { protocol: 'oauth2', scopes: 'read:user user:email', pkce: true, responseMode: 'query', clientAuth: 'post', mobile: { accessToken: true, idToken: false } },
};

type Json = Record<string, unknown>;

const text = (value: unknown): string | null => (typeof value === 'string' && value.trim() ? value.trim().slice(0, 200) : null);
const idText = (value: unknown): string | null => (typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : text(value));
/** A syntactically plausible address, normalised; anything else counts as none. */
const emailOf = (value: unknown): string | null => {
  const candidate = text(value);
  return candidate && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(candidate) && candidate.length <= 254 ? normalizeEmail(candidate) : null;
};
/** Apple sends `"true"`, the others `true`. */
const flag = (value: unknown) => value === true || value === 'true';

/** The identity in OpenID Connect claims (an ID token, or Google's user info). */
export function identityFromOidcClaims(provider: ProviderName, claims: Json): UpstreamIdentity | null {
  const subject = idText(claims.sub);
  if (!subject) return null;
  const email = emailOf(claims.email);
  return {
    provider,
    subject,
    email,
    emailVerified: email !== null && flag(claims.email_verified),
    username: null,
    displayName: text(claims.name),
  };
}

/**
 * The identity in an OAuth 2.0 provider's profile answer. `emails` is GitHub's address list
 * (its primary address, verified when GitHub says so). Facebook does not say whether it verified an
 * address, so its emails count as unverified; X's `confirmed_email` is verified by name.
 */
export function identityFromProfile(provider: ProviderName, body: Json, emails?: unknown): UpstreamIdentity | null {
  switch (provider) {
    case 'twitter': {
      const data = (body.data ?? {}) as Json;
      const subject = idText(data.id);
      if (!subject) return null;
      const email = emailOf(data.confirmed_email);
      return { provider, subject, email, emailVerified: email !== null, username: text(data.username), displayName: text(data.name) };
    }
    case 'facebook': {
      const subject = idText(body.id);
      if (!subject) return null;
      return { provider, subject, email: emailOf(body.email), emailVerified: false, username: null, displayName: text(body.name) };
    }
    case 'github': {
      const subject = idText(body.id);
      if (!subject) return null;
      const primary = Array.isArray(emails) ? (emails as Json[]).find((entry) => entry.primary === true) : undefined;
      const email = emailOf(primary?.email) ?? emailOf(body.email);
      const emailVerified = primary?.verified === true && email !== null && email === emailOf(primary.email);
      return { provider, subject, email, emailVerified, username: text(body.login), displayName: text(body.name) };
    }
    default:
      return identityFromOidcClaims(provider, body);
  }
}

/** Apple's `user` form field (first sign-in only): `{"name": {"firstName", "lastName"}, "email"}`. */
export function nameFromAppleUserField(field: unknown): string | null {
  if (typeof field !== 'string' || field.length > 2000) return null;
  try {
    const parsed = JSON.parse(field) as { name?: { firstName?: unknown; lastName?: unknown } };
    const name = [text(parsed.name?.firstName), text(parsed.name?.lastName)].filter(Boolean).join(' ');
    return name ? name.slice(0, 100) : null;
  } catch {
    return null;
  }
}
