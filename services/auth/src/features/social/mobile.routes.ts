import type { Response } from 'express';
import { z } from 'zod';
import { readCredential } from '@malet/session-client';
import type { AuthCore } from '../../core/core';
import { coreErrors } from '../../core/errors/core.errors';
import { defineRoute } from '../../core/http/route';
import { mfaRequiredBody } from '../../core/http/sign-in-response';
import { linkedIdentityErrors } from '../../core/linked-identities/linked-identity.errors';
import type { OpenedSession, SignInResult } from '../../core/sign-in/complete-sign-in';
import type { MobileTokenExchange } from './mobile.service';
import { socialErrors } from './social.errors';

const providerToken = z.string().min(1).max(8192);

/** Seed 000: `{provider, access_token}`, or `{provider, id_token, nonce}` for ID tokens. */
export const mobileTokenBody = z.union([
  z.object({ provider: z.string().max(32).meta({ example: 'google' }), access_token: providerToken.meta({ example: 'ya29.a0AfH6...' }) }).strict(),
  z.object({ provider: z.string().max(32).meta({ example: 'apple' }), id_token: providerToken, nonce: z.string().min(1).max(512) }).strict(),
]);
/** Exactly seed 000's answer. */
export const mobileSessionBody = z
  .object({
    session_token: z.string().meta({ example: 'sess_...' }),
    refresh_token: z.string().meta({ example: 'ref_...' }),
    expires_in: z.number().int().meta({ example: 900 }),
    refresh_expires_in: z.number().int().meta({ example: 2592000 }),
    user: z.object({ id: z.string(), email: z.string() }),
  })
  .strict();
export const mobileRefreshBody = z.object({ refresh_token: z.string().min(1).max(200) }).strict();

/** Seed 000's mobile answer: no cookie (apps hold the tokens), nothing beyond its five fields. */
function sendMobileSession(res: Response, opened: OpenedSession & { user: { id: string; email: string } }) {
  res.setHeader('Cache-Control', 'no-store');
  res.json({
    session_token: opened.session.token,
    refresh_token: opened.refreshToken,
    expires_in: opened.session.ttlSeconds,
    refresh_expires_in: opened.refreshExpiresIn,
    user: { id: opened.user.id, email: opened.user.email },
  });
}

function sendMobileSignIn(res: Response, result: SignInResult) {
  if (result.kind === 'mfa_required') {
    res.json({ mfa_required: true, mfa_token: result.challenge.mfaToken, mfa_methods: result.challenge.methods });
    return;
  }
  sendMobileSession(res, result);
}

/** Seed 000's mobile token exchange, refresh and logout, for native apps that do OAuth on the device. */
export function mobileRoutes(core: Pick<AuthCore, 'refreshTokens' | 'sessions'>, exchange: MobileTokenExchange) {
  return [
    defineRoute({
      method: 'post',
      path: '/auth/mobile/token',
      summary:
        "Exchange a provider's token for a mobile session (15 min) and refresh token (30 days). `{provider, access_token}` for google, facebook, github and twitter (checked with the provider's user-info endpoint; Google's audience with its token-info endpoint), or `{provider, id_token, nonce}` for apple and google (signature, issuer, audience, expiry and a single-use nonce).",
      tags: ['Mobile'],
      access: 'public',
      limit: 'providerSignIn',
      body: mobileTokenBody,
      responses: { 200: { description: 'A mobile session, or a second factor is due', body: z.union([mobileSessionBody, mfaRequiredBody]) } },
      errors: [
        socialErrors.codes.unknownProvider,
        socialErrors.codes.providerNotConfigured,
        socialErrors.codes.unsupportedCredential,
        socialErrors.codes.invalidProviderToken,
        socialErrors.codes.nonceMismatch,
        socialErrors.codes.profileUnusable,
        socialErrors.codes.providerUnavailable,
        linkedIdentityErrors.codes.linkRequired,
      ],
      async handle({ body, res, meta }) {
        const credential = 'id_token' in body ? { idToken: body.id_token, nonce: body.nonce } : { accessToken: body.access_token };
        sendMobileSignIn(res, await exchange.exchange({ provider: body.provider, ...credential, meta }));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/mobile/refresh',
      summary: 'Rotate a refresh token (JSON body) for a new session token and refresh token. A rotated token presented again revokes its family (theft).',
      tags: ['Mobile'],
      access: 'public',
      limit: 'session',
      body: mobileRefreshBody,
      responses: { 200: { description: 'The new session and refresh tokens', body: mobileSessionBody } },
      errors: [coreErrors.codes.invalidRefreshToken],
      async handle({ body, res }) {
        sendMobileSession(res, await core.refreshTokens.exchange(body.refresh_token));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/mobile/logout',
      summary: 'End the mobile session named by the Bearer token, and its refresh tokens',
      tags: ['Mobile'],
      access: 'public',
      readsCredential: true,
      limit: 'session',
      responses: { 200: { description: 'Signed out', body: z.object({ success: z.literal(true) }) } },
      errors: [coreErrors.codes.invalidSession],
      async handle({ req }) {
        const credential = readCredential({ authorization: req.headers.authorization });
        if (!credential || !(await core.sessions.revoke(credential.token, 'logout'))) throw coreErrors.invalidSession();
        return { success: true };
      },
    }),
  ];
}
