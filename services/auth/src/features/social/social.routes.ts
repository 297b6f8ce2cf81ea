import type { Request, Response } from 'express';
import { parse as parseCookie } from 'cookie';
import { z } from 'zod';
import type { AuthCore } from '../../core/core';
import { coreErrors } from '../../core/errors/core.errors';
import { sendBrowserSignIn } from '../../core/http/browser-sign-in';
import { sendPage } from '../../core/http/html-page';
import { defineRoute } from '../../core/http/route';
import type { CookieSettings } from '../../core/http/session-cookie';
import { linkedIdentityErrors } from '../../core/linked-identities/linked-identity.errors';
import type { LinkedIdentityRow } from '../../core/linked-identities/linked-identity.repository';
import { nameFromAppleUserField, PROVIDER_NAMES } from './oauth-providers';
import { socialErrors } from './social.errors';
import type { CallbackOutcome, SocialSignInService } from './social.service';

/** The browser binding of a sign-in in progress: sent only to that provider's callback. */
const FLOW_COOKIE = 'malet_oauth_flow';
/** A pending link, held by the browser that signed in at the provider: sent only to the confirmation. */
const LINK_COOKIE = 'malet_oauth_link';
const LINK_CONFIRM_PATH = '/auth/oauth/link/confirm';

const providerParams = z.object({ provider: z.string().max(32).meta({ example: 'google' }) });
export const startQuery = z.object({
  /** Where the browser lands once signed in; must be on RETURN_TO_ALLOWLIST. */
  return_to: z.string().max(2048).optional().meta({ example: 'http://localhost:3000/dashboard' }),
  /** Passed to the provider, which may preselect that account (the dev stand-in signs it in). */
  login_hint: z.string().max(320).optional().meta({ example: 'user@example.com' }),
});
export const callbackQuery = z.object({
  code: z.string().max(4096).optional(),
  state: z.string().max(512).optional(),
  iss: z.string().max(2048).optional(),
  error: z.string().max(256).optional(),
  error_description: z.string().max(2048).optional(),
});
/** Apple's `form_post`: the query's fields, plus `user` (JSON with the name, first sign-in only) and an `id_token` (unused: the token endpoint's copy is verified). */
export const callbackForm = callbackQuery.extend({ user: z.string().max(2000).optional(), id_token: z.string().max(8192).optional() });
export const connectionsBody = z.object({
  connections: z.array(
    z.object({
      provider: z.string(),
      subject: z.string(),
      email: z.string().nullable(),
      email_verified: z.boolean(),
      display_name: z.string().nullable(),
      linked_at: z.string().meta({ format: 'date-time' }),
      last_used_at: z.string().nullable().meta({ format: 'date-time' }),
    }),
  ),
  /** Providers this deployment offers for sign-in and linking. */
  available: z.array(z.string()),
});
export const unlinkBody = z.object({ provider: z.enum([...PROVIDER_NAMES, 'ethereum']) }).strict();
export const linkedBody = z.object({ linked: z.literal(true), provider: z.string() });

export const connectionOf = (link: LinkedIdentityRow) => ({
  provider: link.provider,
  subject: link.subject,
  email: link.email,
  email_verified: link.emailVerified,
  display_name: link.displayName,
  linked_at: link.createdAt.toISOString(),
  last_used_at: link.lastUsedAt?.toISOString() ?? null,
});

function setShortCookie(res: Response, name: string, value: string, options: { path: string; maxAgeSeconds: number; crossSite: boolean; cookie: CookieSettings }) {
  res.cookie(name, value, {
    httpOnly: true,
    // A cross-site form post (Apple) carries only SameSite=None cookies, which browsers accept only when Secure.
    sameSite: options.crossSite && options.cookie.secure ? 'none' : 'lax',
    secure: options.cookie.secure,
    path: options.path,
    maxAge: options.maxAgeSeconds * 1000,
  });
}

const cookieOf = (req: Request, name: string) => (req.headers.cookie ? parseCookie(req.headers.cookie)[name] : undefined);
const callbackPath = (provider: string) => `/auth/oauth/${provider}/callback`;

/**
 * Seed 000's OAuth flows for google, apple, twitter (X), facebook and github, and linking. The
 * connection routes come first: `/auth/oauth/connections` would otherwise match `:provider`.
 */
export function socialRoutes(core: Pick<AuthCore, 'config'>, social: SocialSignInService) {
  const cookie = core.config.cookie;

  /** Redirects the browser to the provider, binding the flow to it with the flow cookie. */
  async function redirectToProvider(res: Response, started: Awaited<ReturnType<SocialSignInService['start']>>) {
    setShortCookie(res, FLOW_COOKIE, started.bindingSecret, {
      path: callbackPath(started.client.name),
      maxAgeSeconds: started.ttlSeconds,
      crossSite: started.client.behaviour.responseMode === 'form_post',
      cookie,
    });
    res.redirect(302, started.authorizationUrl);
  }

  /** The end of a callback, whatever it brought: a session, a link, or a link to prove first. */
  function answerCallback(res: Response, provider: string, outcome: CallbackOutcome) {
    res.clearCookie(FLOW_COOKIE, { path: callbackPath(provider), httpOnly: true, secure: cookie.secure });
    if (outcome.kind === 'signed_in') return sendBrowserSignIn(res, outcome, cookie);
    if (outcome.kind === 'linked') {
      if (outcome.returnTo) return res.redirect(303, outcome.returnTo);
      return sendPage(res, 200, { title: 'Account linked', paragraphs: [`You can now sign in with ${outcome.provider}. You can close this tab.`] });
    }
    setShortCookie(res, LINK_COOKIE, outcome.pendingLinkToken, { path: LINK_CONFIRM_PATH, maxAgeSeconds: 600, crossSite: false, cookie });
    throw linkedIdentityErrors.linkRequired();
  }

  const callbackErrors = [
    socialErrors.codes.unknownProvider,
    socialErrors.codes.providerNotConfigured,
    socialErrors.codes.invalidState,
    socialErrors.codes.providerDenied,
    socialErrors.codes.codeRejected,
    socialErrors.codes.idTokenRejected,
    socialErrors.codes.profileUnusable,
    socialErrors.codes.providerUnavailable,
    linkedIdentityErrors.codes.linkRequired,
    linkedIdentityErrors.codes.linkedElsewhere,
    linkedIdentityErrors.codes.providerAlreadyLinked,
  ];
  const callbackResponses = {
    200: { description: 'HTML page: signed in, linked, or a second factor is due (session cookie set when signed in)' },
    303: { description: 'Signed in (session cookie set) or linked; redirect to the return_to chosen at the start' },
  };

  return [
    defineRoute({
      method: 'get',
      path: '/auth/oauth/connections',
      summary: "The signed-in account's linked identities (providers and Ethereum addresses), and the providers on offer",
      tags: ['Social sign-in'],
      access: 'session',
      limit: 'session',
      responses: { 200: { description: 'Linked identities', body: connectionsBody } },
      async handle({ session }) {
        const links = await social.connections(session.userId);
        return { connections: links.map(connectionOf), available: social.configuredProviders() };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/oauth/connections/unlink',
      summary:
        'Unlink a provider (or the Ethereum address) from the signed-in account. Refused when it would leave no way to sign in: another linked identity, a password, or a verified email must remain. Needs a recent sign-in.',
      tags: ['Social sign-in'],
      access: 'recent',
      limit: 'sensitive',
      body: unlinkBody,
      responses: { 200: { description: 'Unlinked', body: z.object({ success: z.literal(true) }) } },
      errors: [linkedIdentityErrors.codes.notLinked, linkedIdentityErrors.codes.lastSignInMethod],
      async handle({ session, body, meta }) {
        await social.unlink(session.userId, body.provider, meta);
        return { success: true };
      },
    }),
    defineRoute({
      method: 'post',
      path: LINK_CONFIRM_PATH,
      summary:
        'Link the provider identity that matched this account by email (the pending link the callback left in this browser) once you are signed in to the account. Single use, 10 minutes, only for the account it was made for. Needs a recent sign-in.',
      tags: ['Social sign-in'],
      access: 'recent',
      limit: 'sensitive',
      responses: { 200: { description: 'Linked', body: linkedBody } },
      errors: [linkedIdentityErrors.codes.invalidLinkToken, linkedIdentityErrors.codes.linkedElsewhere, linkedIdentityErrors.codes.providerAlreadyLinked],
      async handle({ req, res, session, meta }) {
        const link = await social.confirmPendingLink({ token: cookieOf(req, LINK_COOKIE), userId: session.userId, meta });
        res.clearCookie(LINK_COOKIE, { path: LINK_CONFIRM_PATH, httpOnly: true, secure: cookie.secure });
        return { linked: true, provider: link.provider };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/auth/oauth/:provider',
      summary:
        'Start signing in with a provider (google, apple, twitter, facebook, github): redirects to it with state (bound to this browser by an HttpOnly cookie), PKCE and an OpenID nonce where the provider supports them. `login_hint` is passed on; `return_to` must be on the allow-list.',
      tags: ['Social sign-in'],
      access: 'public',
      limit: 'standard',
      params: providerParams,
      query: startQuery,
      responses: { 302: { description: "Redirect to the provider's authorization page" } },
      errors: [socialErrors.codes.unknownProvider, socialErrors.codes.providerNotConfigured, coreErrors.codes.returnToNotAllowed],
      async handle({ params, query, res, meta }) {
        await redirectToProvider(res, await social.start({ provider: params.provider, returnTo: query.return_to, loginHint: query.login_hint, meta }));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/auth/oauth/:provider/link',
      summary: 'Link a provider to the signed-in account (needs a recent sign-in): the same redirect as signing in, ending in a link instead of a session',
      tags: ['Social sign-in'],
      access: 'recent',
      limit: 'sensitive',
      params: providerParams,
      query: startQuery,
      responses: { 302: { description: "Redirect to the provider's authorization page" } },
      errors: [socialErrors.codes.unknownProvider, socialErrors.codes.providerNotConfigured, coreErrors.codes.returnToNotAllowed],
      async handle({ params, query, session, res, meta }) {
        await redirectToProvider(res, await social.start({ provider: params.provider, returnTo: query.return_to, loginHint: query.login_hint, linkUserId: session.userId, meta }));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/auth/oauth/:provider/callback',
      summary:
        "The provider's redirect back. Needs the state of a sign-in this browser started (with its flow cookie); signs in (session cookie, then return_to or a page), links, or, when the email matches an account not proven to be the same person, answers 409 identity:link_required and keeps a pending link for POST /auth/oauth/link/confirm.",
      tags: ['Social sign-in'],
      access: 'public',
      limit: 'providerSignIn',
      params: providerParams,
      query: callbackQuery,
      responses: callbackResponses,
      errors: callbackErrors,
      async handle({ req, res, params, query, meta }) {
        const outcome = await social.finish({ provider: params.provider, response: query, bindingSecret: cookieOf(req, FLOW_COOKIE), via: 'query', meta });
        answerCallback(res, params.provider, outcome);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/oauth/:provider/callback',
      summary:
        "Apple's `form_post` callback: the same as the GET callback, posted by Apple's page. Exempt from the Origin check by design: it is a cross-site POST, and the state bound to this browser is its proof. Apple's `user` field names the user on the first sign-in only.",
      tags: ['Social sign-in'],
      access: 'public',
      limit: 'providerSignIn',
      params: providerParams,
      body: callbackForm,
      responses: callbackResponses,
      errors: [...callbackErrors, socialErrors.codes.unexpectedFormPost],
      crossSitePosts:
        "Apple answers with a cross-site form post, which carries no trusted Origin. What stops a forged post is the flow itself: the state must match a sign-in this browser started, and the flow cookie (HttpOnly, only sent to this path) must hold the secret that sign-in was bound to; the session cookie is never read here.",
      async handle({ req, res, params, body, meta }) {
        const outcome = await social.finish({
          provider: params.provider,
          response: body,
          bindingSecret: cookieOf(req, FLOW_COOKIE),
          via: 'form_post',
          appleName: nameFromAppleUserField(body.user),
          meta,
        });
        answerCallback(res, params.provider, outcome);
      },
    }),
  ];
}
