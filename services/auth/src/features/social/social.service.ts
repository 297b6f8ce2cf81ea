import { createHash, randomBytes } from 'node:crypto';
import type { AuditLog } from '../../core/audit/audit-log';
import type { Clock } from '../../core/clock';
import { coreErrors } from '../../core/errors/core.errors';
import type { RequestMeta } from '../../core/http/request-meta';
import { isAllowedReturnTo } from '../../core/http/return-to';
import { linkedIdentityErrors } from '../../core/linked-identities/linked-identity.errors';
import type { LinkedIdentityService, UpstreamIdentity } from '../../core/linked-identities/linked-identity.service';
import type { CompleteSignIn, SignInResult } from '../../core/sign-in/complete-sign-in';
import { hashToken, looksLikeToken, mintToken } from '../../core/tokens';
import type { AuthorizationResponse, OAuthClient } from './oauth-client';
import { isProviderName, type ProviderName } from './oauth-providers';
import type { SocialRepository } from './social.repository';
import { socialErrors } from './social.errors';

const PENDING_LINK_TTL_SECONDS = 600;

/** The `amr`/audit method of a provider sign-in: `oauth_google`. */
export const oauthMethod = (provider: string) => `oauth_${provider}`;

const randomSecret = () => randomBytes(32).toString('base64url');
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * The PKCE verifier (RFC 7636: 43 characters of the unreserved set) is derived from the browser
 * binding secret, which only the browser's HttpOnly cookie holds: it is never stored, and it
 * cannot be recomputed from the database (which keeps a different hash of the secret).
 */
export const pkceVerifierFor = (bindingSecret: string) => createHash('sha256').update(`pkce:${bindingSecret}`).digest('base64url');
const pkceChallengeFor = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

/** How a finished provider callback ends. */
export type CallbackOutcome =
  | { kind: 'signed_in'; result: SignInResult; returnTo: string | null }
  | { kind: 'linked'; provider: ProviderName; returnTo: string | null }
  /** The email matched an account that must be proven first: the browser keeps `pendingLinkToken`. */
  | { kind: 'link_required'; provider: ProviderName; pendingLinkToken: string };

/**
 * Browser sign-in with a provider (seed 000's `/auth/oauth/:provider` and its callback), and
 * linking a provider to the signed-in account. The flow: `start` stores a state row bound to the
 * browser (a secret in an HttpOnly cookie) and answers the provider's authorization URL with
 * state, PKCE and nonce; `finish` consumes the row with the state AND the cookie, exchanges the
 * code (PKCE verifier, ID token checks) and hands the verified identity to core's linking rules
 * (core/linked-identities), which decide the account; `completeSignIn` makes the session.
 */
export function createSocialSignInService(deps: {
  clients: ReadonlyMap<ProviderName, OAuthClient>;
  flows: SocialRepository;
  linkedIdentities: Pick<LinkedIdentityService, 'resolveSignIn' | 'linkToAccount' | 'unlink' | 'listForUser'>;
  completeSignIn: CompleteSignIn;
  audit: AuditLog;
  clock: Clock;
  /** Auth as browsers reach it (PUBLIC_URL): the callbacks' base. */
  publicUrl: string;
  returnToAllowlist: readonly string[];
  flowTtlSeconds: number;
}) {
  function clientOrThrow(provider: string): OAuthClient {
    if (!isProviderName(provider)) throw socialErrors.unknownProvider();
    const client = deps.clients.get(provider);
    if (!client) throw socialErrors.providerNotConfigured(provider);
    return client;
  }

  const redirectUriFor = (provider: string) => `${deps.publicUrl}/auth/oauth/${provider}/callback`;

  /** Starts a sign-in (or, with `linkUserId`, a linking) at the provider. The caller sets `bindingSecret` as the flow cookie. */
  async function start(input: {
    provider: string;
    returnTo?: string | undefined;
    loginHint?: string | undefined;
    linkUserId?: string | undefined;
    meta: RequestMeta;
  }): Promise<{ authorizationUrl: string; bindingSecret: string; ttlSeconds: number; client: OAuthClient }> {
    const client = clientOrThrow(input.provider);
    if (input.returnTo !== undefined && !isAllowedReturnTo(input.returnTo, deps.returnToAllowlist)) throw coreErrors.returnToNotAllowed();
    const state = randomSecret();
    const bindingSecret = randomSecret();
    const nonce = client.behaviour.protocol === 'oidc' ? randomSecret() : null;
    const usesPkce = client.behaviour.pkce;
    const now = deps.clock.now();
    await deps.flows.insertFlow({
      provider: client.name,
      stateHash: sha256(state),
      bindingHash: sha256(bindingSecret),
      nonce,
      usesPkce,
      returnTo: input.returnTo ?? null,
      linkUserId: input.linkUserId ?? null,
      expiresAt: new Date(now.getTime() + deps.flowTtlSeconds * 1000),
      createdAt: now,
      ...input.meta,
    });
    const authorizationUrl = client.authorizationUrl({
      redirectUri: redirectUriFor(client.name),
      state,
      nonce,
      codeChallenge: usesPkce ? pkceChallengeFor(pkceVerifierFor(bindingSecret)) : null,
      loginHint: input.loginHint,
    });
    return { authorizationUrl, bindingSecret, ttlSeconds: deps.flowTtlSeconds, client };
  }

  async function refuse(provider: string, reason: string, meta: RequestMeta, userId: string | null = null): Promise<void> {
    await deps.audit.record({ type: 'signin', outcome: 'failure', userId, method: oauthMethod(provider), ...meta, details: { reason } });
  }

  /** Completes the provider's redirect (or Apple's form post) back to auth. */
  async function finish(input: {
    provider: string;
    response: AuthorizationResponse & { error?: string | undefined };
    bindingSecret: string | undefined;
    /** How the answer came: Apple posts it (`form_post`), the others redirect (`query`). */
    via: 'query' | 'form_post';
    /** Apple's `user` form field: the name, on the first authorization only. */
    appleName?: string | null;
    meta: RequestMeta;
  }): Promise<CallbackOutcome> {
    const client = clientOrThrow(input.provider);
    if (input.via === 'form_post' && client.behaviour.responseMode !== 'form_post') throw socialErrors.unexpectedFormPost(client.name);
    const { state } = input.response;
    const flow =
      state && input.bindingSecret
        ? await deps.flows.consumeFlow({ provider: client.name, stateHash: sha256(state), bindingHash: sha256(input.bindingSecret), now: deps.clock.now() })
        : null;
    if (!flow || !state || !input.bindingSecret) {
      await refuse(client.name, 'invalid_state', input.meta);
      throw socialErrors.invalidState();
    }
    if (input.response.error !== undefined || !input.response.code) {
      await refuse(client.name, 'provider_denied', input.meta);
      throw socialErrors.providerDenied((input.response.error ?? 'no code').slice(0, 64));
    }
    let upstream: UpstreamIdentity;
    try {
      upstream = await client.exchangeCode({
        redirectUri: redirectUriFor(client.name),
        response: { code: input.response.code, state, iss: input.response.iss },
        expectedState: state,
        codeVerifier: flow.usesPkce ? pkceVerifierFor(input.bindingSecret) : null,
        nonce: flow.nonce,
      });
    } catch (error) {
      await refuse(client.name, 'code_exchange_failed', input.meta, flow.linkUserId);
      throw error;
    }
    // Apple names the user on the first authorization only, in the form post, not in the token.
    if (input.appleName && client.name === 'apple' && !upstream.displayName) upstream = { ...upstream, displayName: input.appleName };

    const returnTo = flow.returnTo && isAllowedReturnTo(flow.returnTo, deps.returnToAllowlist) ? flow.returnTo : null;
    if (flow.linkUserId) {
      await deps.linkedIdentities.linkToAccount(flow.linkUserId, upstream, input.meta);
      return { kind: 'linked', provider: client.name, returnTo };
    }
    const resolution = await deps.linkedIdentities.resolveSignIn(upstream, input.meta);
    if (resolution.kind === 'link_required') {
      const pendingLinkToken = mintToken('lnk');
      const now = deps.clock.now();
      await deps.flows.insertPendingLink({
        tokenHash: hashToken(pendingLinkToken),
        accountId: resolution.accountId,
        provider: upstream.provider,
        subject: upstream.subject,
        email: upstream.email,
        emailVerified: upstream.emailVerified,
        username: upstream.username,
        displayName: upstream.displayName,
        createdAt: now,
        expiresAt: new Date(now.getTime() + PENDING_LINK_TTL_SECONDS * 1000),
      });
      await refuse(client.name, 'link_required', input.meta, resolution.accountId);
      return { kind: 'link_required', provider: client.name, pendingLinkToken };
    }
    const user = { id: resolution.user.id, email: resolution.user.email };
    const result = await deps.completeSignIn({ user, method: oauthMethod(client.name), meta: input.meta });
    return { kind: 'signed_in', result, returnTo };
  }

  /**
   * Links the identity a pending link holds to the signed-in account it was made for. The proof
   * is bound to that upstream identity (the row names it; nothing in the request can change it)
   * and to that account, and it works once.
   */
  async function confirmPendingLink(input: { token: string | undefined; userId: string; meta: RequestMeta }) {
    const pending =
      input.token && looksLikeToken('lnk', input.token)
        ? await deps.flows.consumePendingLink({ tokenHash: hashToken(input.token), accountId: input.userId, now: deps.clock.now() })
        : null;
    if (!pending) throw linkedIdentityErrors.invalidLinkToken();
    return deps.linkedIdentities.linkToAccount(
      input.userId,
      {
        provider: pending.provider,
        subject: pending.subject,
        email: pending.email,
        emailVerified: pending.emailVerified,
        username: pending.username,
        displayName: pending.displayName,
      },
      input.meta,
    );
  }

  return {
    start,
    finish,
    confirmPendingLink,
    /** Providers this deployment offers, for sign-in pages and the connections list. */
    configuredProviders: () => [...deps.clients.keys()],
    connections: (userId: string) => deps.linkedIdentities.listForUser(userId),
    unlink: (userId: string, provider: string, meta: RequestMeta) => deps.linkedIdentities.unlink(userId, provider, meta),
  };
}

export type SocialSignInService = ReturnType<typeof createSocialSignInService>;
