import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { serviceRoot } from '@malet/config';
import { readCredential } from '@malet/session-client';
import type { AuthCore } from '../../core/core';
import { defineRoute } from '../../core/http/route';
import { isAllowedReturnTo } from '../../core/http/return-to';
import type { SignInProvider } from '../../core/sign-in/sign-in-provider';
import { hostedPageErrors } from './hosted-pages.errors';
import { sendHostedPage, type PageSpec } from './page-shell';
import { accountPage, mfaPage, signInPage, signUpPage } from './pages';

/** The pages' static files: plain ES modules and one stylesheet, loaded once at start-up. */
const ASSET_TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };
const ASSET_FILES = ['pages.css', 'common.js', 'webauthn.js', 'sign-in.js', 'sign-up.js', 'mfa.js', 'account.js'];

function loadAssets(): Map<string, { body: Buffer; type: string }> {
  const folder = join(serviceRoot(import.meta.url), 'src/features/hosted-pages/assets');
  return new Map(ASSET_FILES.map((file) => [file, { body: readFileSync(join(folder, file)), type: ASSET_TYPES[file.slice(file.lastIndexOf('.'))]! }]));
}

const pageQuery = z.object({ return_to: z.string().max(2048).optional().describe('Where to go after signing in; ignored unless on RETURN_TO_ALLOWLIST') });
const htmlPage = { description: 'HTML page (strict CSP: its script and stylesheet come from /auth/ui/assets)' };

/**
 * The hosted pages under `/auth/ui/`: sign-in, sign-up, the second step and the account. Each is
 * one server-rendered document whose script calls auth's JSON API from the same origin (auth's,
 * or the gateway's when served through its `/auth/*` proxy), so the pages use exactly the API a
 * web app would, and post nothing a cross-site page could: every write is a JSON fetch, which
 * another origin cannot send without a CORS preflight auth never grants, and the cookie-carrying
 * ones also pass core's Origin check.
 */
export function hostedPageRoutes(core: Pick<AuthCore, 'config' | 'sessions'>, providers: () => readonly SignInProvider[]) {
  const assets = loadAssets();
  /** The query's return_to when it is allow-listed (core's check); anything else is dropped. */
  const allowedReturnTo = (query: unknown): string | null => {
    const parsed = pageQuery.safeParse(query);
    const value = parsed.success ? parsed.data.return_to : undefined;
    return value !== undefined && isAllowedReturnTo(value, core.config.returnToAllowlist) ? value : null;
  };
  const page = (path: string, summary: string, build: (returnTo: string | null) => PageSpec) =>
    defineRoute({
      method: 'get',
      path,
      summary,
      tags: ['Hosted pages'],
      access: 'public',
      limit: 'staticPage',
      query: pageQuery,
      validatesOwnInput: true,
      responses: { 200: htmlPage },
      handle({ req, res }) {
        sendHostedPage(res, build(allowedReturnTo(req.query)));
      },
    });

  return [
    page('/auth/ui/sign-in', 'The sign-in page: passkey (also as autofill), email code, magic link, password, and a button per configured provider', (returnTo) =>
      signInPage({ returnTo, providers: providers() }),
    ),
    page('/auth/ui/sign-up', 'The sign-up page (email and password)', (returnTo) => signUpPage({ returnTo })),
    page('/auth/ui/mfa', 'The second step of a sign-in: authenticator app, text message or backup code', (returnTo) => mfaPage({ returnTo })),
    defineRoute({
      method: 'get',
      path: '/auth/ui/account',
      summary: 'The account page: sessions, passkeys, two-step verification, linked accounts. Without a session it redirects to the sign-in page',
      tags: ['Hosted pages'],
      access: 'public',
      readsCredential: true,
      limit: 'session',
      responses: { 200: htmlPage, 303: { description: 'Not signed in: to /auth/ui/sign-in' } },
      async handle({ req, res }) {
        const credential = readCredential(req.headers);
        const session = credential ? await core.sessions.findActive(credential.token) : null;
        if (!session) {
          res.redirect(303, '/auth/ui/sign-in');
          return;
        }
        sendHostedPage(res, accountPage({ email: session.email }));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/auth/ui/assets/:file',
      summary: "The hosted pages' scripts and stylesheet",
      tags: ['Hosted pages'],
      access: 'public',
      limit: 'staticPage',
      cacheControl: 'public, max-age=300',
      params: z.object({ file: z.string().max(64) }),
      responses: { 200: { description: 'JavaScript module or CSS' } },
      errors: [hostedPageErrors.codes.assetNotFound],
      handle({ params, res }) {
        const asset = assets.get(params.file);
        if (!asset) throw hostedPageErrors.assetNotFound();
        res.setHeader('X-Content-Type-Options', 'nosniff');
        res.type(asset.type).send(asset.body);
      },
    }),
  ];
}
