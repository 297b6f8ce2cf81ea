import { z } from 'zod';
import type { AuthCore } from '../../core/core';
import { coreErrors } from '../../core/errors/core.errors';
import { sendBrowserSignIn } from '../../core/http/browser-sign-in';
import { sendPage } from '../../core/http/html-page';
import { isAllowedReturnTo } from '../../core/http/return-to';
import { defineRoute } from '../../core/http/route';
import { emailField } from '../../core/identities/email';
import { samlErrors } from './saml.errors';
import type { SamlService } from './saml.service';

const organizationParams = z.object({ org_id: z.uuid().meta({ example: '0b6c7c1e-8f7a-4b8e-9a57-3c1f2d8e5a10' }) });
/** Base64 of the XML response; real ones are a few kilobytes, the body limit (100 kB) bounds the rest. */
const acsBody = z.object({ SAMLResponse: z.string().min(1).max(100_000).regex(/^[A-Za-z0-9+/=\s]+$/), RelayState: z.string().max(2048).optional() });
const loginQuery = z.object({ return_to: z.string().max(2048).optional().meta({ example: 'http://localhost:3000/dashboard' }) });
const discoverQuery = z.object({ email: emailField });
const discoverResponse = z.object({ organization_id: z.uuid(), login_url: z.string() });
const companyQuery = z.object({ email: emailField, return_to: z.string().max(2048).optional() });

/** "Sign in with your company" for browsers: a work-email page (not yet linked from the hosted sign-in page). */
export const COMPANY_SIGN_IN_PATH = '/auth/saml/company';

export function samlRoutes(core: Pick<AuthCore, 'config'>, saml: SamlService) {
  return [
    defineRoute({
      method: 'get',
      path: '/auth/saml/:org_id/metadata',
      summary: "SAML Service Provider metadata XML of the organization (give it to the organization's identity provider)",
      tags: ['SAML SSO'],
      access: 'public',
      limit: 'staticPage',
      params: organizationParams,
      cacheControl: 'public, max-age=3600',
      responses: { 200: { description: 'SPSSODescriptor: entity id, HTTP-POST ACS, signed assertions wanted (application/samlmetadata+xml)' } },
      handle({ params, res }) {
        res.type('application/samlmetadata+xml').send(saml.metadata(params.org_id));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/auth/saml/:org_id/login',
      summary: "SP-initiated sign-in: redirects (302) to the organization's identity provider with an AuthnRequest (HTTP-Redirect binding)",
      tags: ['SAML SSO'],
      access: 'public',
      limit: 'standard',
      params: organizationParams,
      query: loginQuery,
      responses: { 302: { description: "To the identity provider's SSO URL; its answer comes back to the ACS" } },
      errors: [samlErrors.codes.connectionNotFound, coreErrors.codes.returnToNotAllowed, samlErrors.codes.directoryUnavailable],
      async handle({ params, query, res }) {
        res.redirect(302, await saml.startLogin({ organizationId: params.org_id, returnTo: query.return_to }));
      },
    }),
    /**
     * The identity provider's page posts here from its own origin: a cross-site form POST by
     * design, exempt from the Origin check (module.ts says why that is safe).
     */
    defineRoute({
      method: 'post',
      path: '/auth/saml/:org_id/acs',
      summary:
        "SAML Assertion Consumer Service (IdP posts here, HTTP-POST binding). A valid response signs in: session cookie, then a 303 to the return_to chosen at login when allow-listed, else a signed-in page; with MFA enrolled the mfa_token goes to return_to's fragment or on the page. Refusals answer the common error shape with the check that failed.",
      tags: ['SAML SSO'],
      access: 'public',
      limit: 'signIn',
      params: organizationParams,
      body: acsBody,
      responses: {
        200: { description: 'HTML page: signed in, or second factor due' },
        303: { description: 'Signed in; redirect to the allow-listed return_to' },
      },
      errors: [
        samlErrors.codes.directoryUnavailable,
        samlErrors.codes.connectionNotFound,
        samlErrors.codes.malformedResponse,
        samlErrors.codes.structureRefused,
        samlErrors.codes.signatureInvalid,
        samlErrors.codes.issuerMismatch,
        samlErrors.codes.audienceMismatch,
        samlErrors.codes.destinationMismatch,
        samlErrors.codes.assertionExpired,
        samlErrors.codes.unsolicited,
        samlErrors.codes.unknownRequest,
        samlErrors.codes.replayed,
        samlErrors.codes.idpRefused,
        samlErrors.codes.noEmail,
        samlErrors.codes.emailDomainNotVerified,
        coreErrors.codes.accountDeactivated,
      ],
      crossSitePosts:
        "The identity provider's page auto-submits this form from the IdP's origin, so an Origin check would refuse every legitimate sign-in. A forged cross-site post can only carry a response the IdP signed for this organization's audience and ACS (for the attacker's own account at best): SP-initiated responses must answer a request this service made (InResponseTo, used once), IdP-initiated ones are accepted only where the organization enabled them, and an assertion is accepted once (replay cache). The session cookie the browser may carry grants nothing here.",
      async handle({ params, body, res, meta }) {
        const outcome = await saml.consume({ organizationId: params.org_id, samlResponse: body.SAMLResponse.replace(/\s+/g, ''), relayState: body.RelayState, meta });
        sendBrowserSignIn(res, outcome, core.config.cookie);
      },
    }),
    /**
     * "Sign in with your company" for browsers (the hosted sign-in page's button): a page asking
     * for the work email, whose GET form goes to the next route. No state changes, so no CSRF.
     */
    defineRoute({
      method: 'get',
      path: COMPANY_SIGN_IN_PATH,
      summary: 'Sign in with your company: a page asking for the work email (home-realm discovery)',
      tags: ['SAML SSO'],
      access: 'public',
      limit: 'staticPage',
      query: loginQuery,
      validatesOwnInput: true,
      responses: { 200: { description: 'HTML page with a form to /auth/saml/company/continue' } },
      handle({ req, res }) {
        const returnTo = loginQuery.safeParse(req.query).data?.return_to;
        const allowed = returnTo !== undefined && isAllowedReturnTo(returnTo, core.config.returnToAllowlist) ? returnTo : null;
        sendPage(res, 200, {
          title: 'Sign in with your company',
          paragraphs: ["Enter your work email: you continue at your organization's identity provider."],
          form: {
            action: `${COMPANY_SIGN_IN_PATH}/continue`,
            method: 'get',
            hidden: allowed ? { return_to: allowed } : {},
            fields: [{ name: 'email', label: 'Work email', type: 'email', autocomplete: 'email', required: true }],
            submit: 'Continue',
          },
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: `${COMPANY_SIGN_IN_PATH}/continue`,
      summary: "The company page's form: redirects (302) to the SP-initiated login of the organization that verified the email's domain",
      tags: ['SAML SSO'],
      access: 'public',
      limit: 'identifierCheck',
      query: companyQuery,
      validatesOwnInput: true,
      responses: {
        302: { description: 'To /auth/saml/:org_id/login, carrying return_to' },
        400: { description: 'HTML page: not an email address, or a return_to outside the allow-list' },
        404: { description: 'HTML page: no organization signs in with SAML for that domain' },
      },
      errors: [samlErrors.codes.directoryUnavailable],
      async handle({ req, res }) {
        const parsed = companyQuery.safeParse(req.query);
        const returnTo = parsed.data?.return_to;
        if (!parsed.success || (returnTo !== undefined && !isAllowedReturnTo(returnTo, core.config.returnToAllowlist))) {
          sendPage(res, 400, { title: 'Check the address', paragraphs: ['Enter your full work email address.'] });
          return;
        }
        const found = await saml.findLogin(parsed.data.email);
        if (!found) {
          sendPage(res, 404, { title: 'No single sign-on for this address', paragraphs: ["Your organization has not set up single sign-on for this email's domain. Sign in another way."] });
          return;
        }
        const login = `/auth/saml/${found.organization_id}/login${returnTo ? `?return_to=${encodeURIComponent(returnTo)}` : ''}`;
        res.redirect(302, login);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/auth/saml/discover',
      summary: "Home-realm discovery: the SAML login URL of the organization that verified the email's domain",
      tags: ['SAML SSO'],
      access: 'public',
      limit: 'identifierCheck',
      query: discoverQuery,
      responses: { 200: { description: 'Start signing in at login_url', body: discoverResponse } },
      errors: [samlErrors.codes.noConnectionForEmail, samlErrors.codes.directoryUnavailable],
      async handle({ query }) {
        return saml.discover(query.email);
      },
    }),
  ];
}
