import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { z } from 'zod';
import type { AuthCore } from '../../core/core';
import { defineRoute } from '../../core/http/route';
import { signInResponseBody } from '../../core/http/sign-in-response';
import { emailField, normalizeEmail } from '../../core/identities/email';
import { coreErrors } from '../../core/errors/core.errors';
import { passkeyErrors } from './passkey.errors';
import type { PasskeyRow } from './passkey.repository';
import type { PasskeyService } from './passkey.service';

const base64url = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[A-Za-z0-9_-]+$/, 'must be base64url');
const credentialId = base64url(1400);
/** What a person calls a passkey: no control characters (they end up in pages and logs). */
export const passkeyName = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[^\p{Cc}\p{Cf}]*$/u, 'must not contain control characters')
  .meta({ example: 'MacBook Touch ID' });

/**
 * `PublicKeyCredential.toJSON()` of `navigator.credentials.create()`, posted as is. Unknown
 * members are dropped rather than refused: browsers add new ones over time.
 */
export const registrationFinishBody = z.object({
  id: credentialId,
  rawId: credentialId,
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: base64url(4096),
    attestationObject: base64url(32_768),
    authenticatorData: base64url(32_768).optional(),
    transports: z.array(z.string().max(32)).max(10).optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: base64url(4096).optional(),
  }),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).nullish(),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  /** Optional; defaults to the browser and system it was made on (`Passkey on Chrome 126 on macOS`). */
  name: passkeyName.optional(),
});

/** `PublicKeyCredential.toJSON()` of `navigator.credentials.get()`, posted as is. */
export const loginFinishBody = z.object({
  id: credentialId,
  rawId: credentialId,
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: base64url(4096),
    authenticatorData: base64url(32_768),
    signature: base64url(2048),
    userHandle: base64url(128).nullish(),
  }),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).nullish(),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
});

export const loginStartBody = z
  .object({
    /** Email first: only this account's passkeys may answer. Without it, any passkey the browser holds (username-less). */
    email: emailField.optional(),
    /** `conditional` for passkey autofill in the email field (the email is then ignored). */
    mediation: z.enum(['conditional', 'optional']).optional(),
  })
  .strict();

const credentialDescriptor = z.object({ id: z.string(), type: z.literal('public-key'), transports: z.array(z.string()).optional() });
const registrationOptions = z.looseObject({
  challenge: z.string(),
  rp: z.object({ id: z.string(), name: z.string() }),
  user: z.object({ id: z.string(), name: z.string(), displayName: z.string() }),
  pubKeyCredParams: z.array(z.object({ type: z.literal('public-key'), alg: z.number() })),
  timeout: z.number().optional(),
  excludeCredentials: z.array(credentialDescriptor).optional(),
  attestation: z.string().optional(),
});
const requestOptions = z.looseObject({
  challenge: z.string(),
  rpId: z.string().optional(),
  timeout: z.number().optional(),
  allowCredentials: z.array(credentialDescriptor).optional(),
  userVerification: z.string().optional(),
});
export const passkeyItem = z.object({
  id: z.string(),
  name: z.string(),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
  /** `multiDevice`: synced between the user's devices; `singleDevice`: bound to one authenticator. */
  device_type: z.enum(['singleDevice', 'multiDevice']),
  backed_up: z.boolean(),
  transports: z.array(z.string()),
});
const passkeyIdParams = z.object({ id: z.string().min(1).max(64) });

export const passkeyToWire = (row: PasskeyRow) => ({
  id: row.id,
  name: row.name,
  created_at: row.createdAt.toISOString(),
  last_used_at: row.lastUsedAt?.toISOString() ?? null,
  device_type: row.deviceType,
  backed_up: row.backedUp,
  transports: row.transports,
});

/** The validated body in the library's terms: absent and `null` members both become absent. */
const toRegistrationResponse = ({ name: _name, ...body }: z.infer<typeof registrationFinishBody>): RegistrationResponseJSON => ({
  ...body,
  authenticatorAttachment: body.authenticatorAttachment ?? undefined,
});
const toAuthenticationResponse = (body: z.infer<typeof loginFinishBody>): AuthenticationResponseJSON => ({
  ...body,
  response: { ...body.response, userHandle: body.response.userHandle ?? undefined },
  authenticatorAttachment: body.authenticatorAttachment ?? undefined,
});

const finishErrors = [
  passkeyErrors.codes.challengeInvalid,
  passkeyErrors.codes.originNotAllowed,
  passkeyErrors.codes.rpIdMismatch,
  passkeyErrors.codes.verificationFailed,
  passkeyErrors.codes.userVerificationRequired,
];

/** Seed 000's four passkey endpoints, and the signed-in user's list of passkeys. */
export function passkeyRoutes(core: Pick<AuthCore, 'sendSignInResult'>, passkeys: PasskeyService) {
  return [
    defineRoute({
      method: 'post',
      path: '/auth/passkey/register/start',
      summary: 'Start passkey registration: options for `navigator.credentials.create({ publicKey })` (needs a recent sign-in)',
      tags: ['Passkeys'],
      access: 'recent',
      limit: 'session',
      responses: { 200: { description: 'Creation options; the challenge works once, for PASSKEY_CHALLENGE_TTL_SECONDS', body: z.object({ publicKey: registrationOptions }) } },
      errors: [passkeyErrors.codes.tooMany],
      async handle({ session }) {
        return { publicKey: await passkeys.startRegistration({ id: session.userId, email: session.email }) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/passkey/register/finish',
      summary: 'Complete registration with the credential the browser created (`credential.toJSON()`, plus an optional `name`)',
      tags: ['Passkeys'],
      access: 'recent',
      limit: 'sensitive',
      body: registrationFinishBody,
      responses: { 201: { description: 'Registered', body: z.object({ passkey: passkeyItem }) } },
      errors: [...finishErrors, passkeyErrors.codes.alreadyRegistered, passkeyErrors.codes.tooMany],
      async handle({ session, body, res, meta }) {
        const row = await passkeys.finishRegistration({ userId: session.userId, response: toRegistrationResponse(body), name: body.name, meta });
        res.status(201);
        return { passkey: passkeyToWire(row) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/passkey/login/start',
      summary:
        'Get a sign-in challenge: options for `navigator.credentials.get({ publicKey, mediation })`. No email: any registered passkey (username-less); with `email`: that account\'s passkeys; `mediation: "conditional"`: passkey autofill',
      tags: ['Passkeys'],
      access: 'public',
      limit: 'passkeyChallenge',
      body: loginStartBody,
      responses: {
        200: {
          description: 'Request options and the mediation to use. The answer has the same shape whether or not the email has an account or passkeys.',
          body: z.object({ publicKey: requestOptions, mediation: z.enum(['conditional', 'optional']) }),
        },
      },
      async handle({ body }) {
        return passkeys.startLogin({ email: body.email === undefined ? undefined : normalizeEmail(body.email), conditional: body.mediation === 'conditional' });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/passkey/login/finish',
      summary:
        'Verify the assertion (`credential.toJSON()`) and sign in. With user verification it counts as two factors (no MFA prompt); without (when PASSKEY_USER_VERIFICATION=preferred) MFA follows like after a password',
      tags: ['Passkeys'],
      access: 'public',
      limit: 'signIn',
      body: loginFinishBody,
      responses: { 200: { description: 'Signed in (session cookie set), or a second factor is due (`mfa_required`)', body: signInResponseBody } },
      errors: [...finishErrors, passkeyErrors.codes.unknownCredential, passkeyErrors.codes.counterRegressed, coreErrors.codes.crossSite],
      async handle({ body, res, meta }) {
        // Login CSRF: route.ts's origin check already refused a post from any page but ours (or the gateway's).
        core.sendSignInResult(res, await passkeys.finishLogin({ response: toAuthenticationResponse(body), meta }));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/auth/passkeys',
      summary: 'List my passkeys, oldest first',
      tags: ['Passkeys'],
      access: 'session',
      limit: 'session',
      responses: { 200: { description: 'The passkeys', body: z.object({ passkeys: z.array(passkeyItem) }) } },
      async handle({ session }) {
        return { passkeys: (await passkeys.list(session.userId)).map(passkeyToWire) };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/auth/passkeys/:id',
      summary: 'Rename one of my passkeys',
      tags: ['Passkeys'],
      access: 'session',
      limit: 'session',
      params: passkeyIdParams,
      body: z.object({ name: passkeyName }).strict(),
      responses: { 200: { description: 'Renamed', body: z.object({ passkey: passkeyItem }) } },
      errors: [passkeyErrors.codes.notFound],
      async handle({ session, params, body }) {
        return { passkey: passkeyToWire(await passkeys.rename(session.userId, params.id, body.name)) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/auth/passkeys/:id',
      summary:
        'Remove one of my passkeys (needs a recent sign-in). Refused when it is my last way to sign in: no other passkey, no password and no verified email',
      tags: ['Passkeys'],
      access: 'recent',
      limit: 'sensitive',
      params: passkeyIdParams,
      responses: { 200: { description: 'Removed', body: z.object({ success: z.literal(true) }) } },
      errors: [passkeyErrors.codes.notFound, passkeyErrors.codes.lastSignInMethod],
      async handle({ session, params, meta }) {
        await passkeys.remove(session.userId, params.id, meta);
        return { success: true };
      },
    }),
  ];
}
