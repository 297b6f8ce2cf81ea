import { createHmac } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { AppError } from '@malet/errors';
import type { AuditLog } from '../../core/audit/audit-log';
import type { Clock } from '../../core/clock';
import { describeDevice } from '../../core/http/device-name';
import type { RequestMeta } from '../../core/http/request-meta';
import type { IdentityRepository } from '../../core/identities/identity.repository';
import type { SignInMethod, SignInMethods } from '../../core/identities/sign-in-methods';
import type { CompleteSignIn, SignInResult } from '../../core/sign-in/complete-sign-in';
import { hashToken } from '../../core/tokens';
import type { PasskeyConfig } from './passkey.config';
import { passkeyErrors } from './passkey.errors';
import type { Ceremony, PasskeyRepository, PasskeyRow } from './passkey.repository';

/** The first factor a passkey sign-in records (sessions' `amr`, audit rows). */
export const PASSKEY_METHOD = 'passkey';
/**
 * The second factor of a passkey whose authenticator verified the user (PIN or biometrics): the
 * key is something you have, the verification something you know or are. Such a sign-in's
 * session carries `amr: ["passkey", "mfa", "uv"]` and no MFA prompt follows.
 */
export const USER_VERIFIED_FACTOR = 'uv';
export const MAX_PASSKEYS_PER_USER = 25;

/** What the client passes to `navigator.credentials.get({ publicKey, mediation })`. */
export interface LoginOptions {
  publicKey: PublicKeyCredentialRequestOptionsJSON;
  /** `conditional`: offer the passkeys in the email field's autofill rather than in a dialog. */
  mediation: 'conditional' | 'optional';
}

interface ClientData {
  type: string;
  challenge: string;
  origin: string;
}

/** The client data a response carries (base64url JSON), or null when it is not readable. */
function readClientData(encoded: string): ClientData | null {
  try {
    const parsed = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as Record<string, unknown>;
    const { type, challenge, origin } = parsed;
    if (typeof type === 'string' && typeof challenge === 'string' && typeof origin === 'string') return { type, challenge, origin };
  } catch {
    // Not JSON: refused below like any unreadable response.
  }
  return null;
}

/** The WebAuthn user handle of an account: its UUID's 16 bytes (no personal data). */
export function userHandleOf(userId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(userId.replace(/-/g, ''), 'hex'));
}

/**
 * The library's verdict on a response, as one of our codes: the RP ID hash and user verification
 * have their own; everything else (signature, flags, malformed data) is a failed verification.
 */
function classifyVerificationError(error: unknown): { reason: string; error: AppError } {
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : '';
  if (name === 'UnexpectedRPIDHash') return { reason: 'rp_id_mismatch', error: passkeyErrors.rpIdMismatch() };
  if (/user verification/i.test(message)) return { reason: 'user_not_verified', error: passkeyErrors.userVerificationRequired() };
  return { reason: 'verification_failed', error: passkeyErrors.verificationFailed() };
}

/**
 * Passkeys (WebAuthn) with @simplewebauthn/server: registration by a signed-in user, sign-in with
 * a discoverable credential (no email: the browser offers the passkeys it holds, also as
 * autofill) or email first (that account's passkeys only), and the list of a user's passkeys.
 *
 * Every ceremony starts with a random challenge stored as its SHA-256 with an expiry, bound to
 * the ceremony (and to the user, for registration and email-first sign-in), and spent by the
 * first finish that presents it, whatever that finish's outcome. A finish is checked in this
 * order: readable client data of the right type, a live challenge of this ceremony, an allowed
 * origin, a credential the ceremony accepts, the RP ID, the signature and flags (library), then
 * the signature counter, which must move forward: a counter that goes back means two copies of
 * one key exist (a cloned authenticator), and the sign-in is refused and audited.
 */
export function createPasskeyService(deps: {
  passkeys: PasskeyRepository;
  identities: Pick<IdentityRepository, 'findById' | 'findByEmail'>;
  signInMethods: Pick<SignInMethods, 'list'>;
  completeSignIn: CompleteSignIn;
  audit: AuditLog;
  clock: Clock;
  config: PasskeyConfig;
  /** Keys the decoy credential ids of email-first sign-in for addresses without passkeys. */
  decoySecret: string;
}) {
  const { passkeys, audit, clock, config } = deps;
  const requireUserVerification = config.userVerification === 'required';
  const ttlMs = config.challengeTtlSeconds * 1000;

  async function storeChallenge(challenge: string, ceremony: Ceremony, userId: string | null): Promise<void> {
    await passkeys.insertChallenge({ challengeHash: hashToken(challenge), ceremony, userId, expiresAt: new Date(clock.now().getTime() + ttlMs) });
  }

  /**
   * Email first for an address without passkeys: one credential id derived from the address,
   * stable across requests, so the answer has the shape of an account with one passkey and
   * does not say whether the address has an account (no credential can ever answer it).
   */
  const decoyCredentialId = (email: string) => createHmac('sha256', deps.decoySecret).update(`passkey-decoy:${email}`).digest('base64url');

  // ---- registration ----------------------------------------------------------------------------

  async function startRegistration(user: { id: string; email: string }): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await passkeys.listForUser(user.id);
    if (existing.length >= MAX_PASSKEYS_PER_USER) throw passkeyErrors.tooMany(MAX_PASSKEYS_PER_USER);
    const options = await generateRegistrationOptions({
      rpName: config.rpName,
      rpID: config.rpId,
      userName: user.email,
      userDisplayName: user.email,
      userID: userHandleOf(user.id),
      attestationType: config.attestation,
      // The browser refuses to make a second passkey on an authenticator that holds one already.
      excludeCredentials: existing.map((row) => ({ id: row.credentialId, transports: row.transports })),
      authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: config.userVerification },
      timeout: ttlMs,
    });
    await storeChallenge(options.challenge, 'registration', user.id);
    return options;
  }

  async function finishRegistration(input: { userId: string; response: RegistrationResponseJSON; name?: string | undefined; meta: RequestMeta }) {
    const refuse = async (reason: string, error: AppError) => {
      await audit.record({ type: 'passkey.register', outcome: 'failure', userId: input.userId, method: PASSKEY_METHOD, ...input.meta, details: { reason } });
      return error;
    };
    const clientData = readClientData(input.response.response.clientDataJSON);
    if (!clientData || clientData.type !== 'webauthn.create') throw await refuse('malformed_client_data', passkeyErrors.verificationFailed());
    const challenge = await passkeys.consumeChallenge(hashToken(clientData.challenge), clock.now(), { ceremonies: ['registration'], userId: input.userId });
    if (!challenge) throw await refuse('challenge_invalid', passkeyErrors.challengeInvalid());
    if (!config.origins.includes(clientData.origin)) throw await refuse('origin_not_allowed', passkeyErrors.originNotAllowed());

    let info;
    try {
      const verification = await verifyRegistrationResponse({
        response: input.response,
        expectedChallenge: clientData.challenge,
        expectedOrigin: config.origins,
        expectedRPID: config.rpId,
        requireUserVerification,
      });
      if (!verification.verified) throw new Error('not verified');
      info = verification.registrationInfo;
    } catch (error) {
      const verdict = classifyVerificationError(error);
      throw await refuse(verdict.reason, verdict.error);
    }
    if ((await passkeys.countForUser(input.userId)) >= MAX_PASSKEYS_PER_USER) throw passkeyErrors.tooMany(MAX_PASSKEYS_PER_USER);
    const row = await passkeys.insertCredential({
      userId: input.userId,
      credentialId: info.credential.id,
      publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
      signCount: info.credential.counter,
      transports: (input.response.response.transports ?? []).filter((transport) => /^[a-z-]{1,16}$/.test(transport)).slice(0, 8),
      aaguid: info.aaguid,
      deviceType: info.credentialDeviceType,
      backedUp: info.credentialBackedUp,
      name: input.name ?? defaultName(input.meta),
    });
    if (!row) throw await refuse('already_registered', passkeyErrors.alreadyRegistered());
    await audit.record({
      type: 'passkey.registered',
      outcome: 'success',
      userId: input.userId,
      method: PASSKEY_METHOD,
      ...input.meta,
      details: { passkey_id: row.id, device_type: row.deviceType, user_verified: info.userVerified },
    });
    return row;
  }

  const defaultName = (meta: RequestMeta) => {
    const device = describeDevice(meta.userAgent);
    return device ? `Passkey on ${device}` : 'Passkey';
  };

  // ---- sign-in ---------------------------------------------------------------------------------

  /**
   * A sign-in challenge. Without an email (or for autofill, which must not name credentials)
   * any registered passkey may answer; with an email only that account's passkeys may.
   */
  async function startLogin(input: { email?: string | undefined; conditional: boolean }): Promise<LoginOptions> {
    let ceremony: Ceremony = 'login';
    let userId: string | null = null;
    let allowCredentials: { id: string }[] | undefined;
    if (input.email !== undefined && !input.conditional) {
      const identity = await deps.identities.findByEmail(input.email);
      const owned = identity ? await passkeys.listForUser(identity.id) : [];
      ceremony = 'login_for_user';
      userId = identity?.id ?? null;
      // Transports are left out for every account alike, so they say nothing about it either.
      allowCredentials = owned.length ? owned.map((row) => ({ id: row.credentialId })) : [{ id: decoyCredentialId(input.email) }];
    }
    const publicKey = await generateAuthenticationOptions({
      rpID: config.rpId,
      allowCredentials,
      userVerification: config.userVerification,
      timeout: ttlMs,
    });
    await storeChallenge(publicKey.challenge, ceremony, userId);
    return { publicKey, mediation: input.conditional ? 'conditional' : 'optional' };
  }

  async function finishLogin(input: { response: AuthenticationResponseJSON; meta: RequestMeta }): Promise<SignInResult> {
    const refuse = async (reason: string, error: AppError, userId: string | null = null) => {
      await audit.record({ type: 'signin', outcome: 'failure', userId, method: PASSKEY_METHOD, ...input.meta, details: { reason } });
      return error;
    };
    const { response } = input;
    const clientData = readClientData(response.response.clientDataJSON);
    if (!clientData || clientData.type !== 'webauthn.get') throw await refuse('malformed_client_data', passkeyErrors.verificationFailed());
    const challenge = await passkeys.consumeChallenge(hashToken(clientData.challenge), clock.now(), { ceremonies: ['login', 'login_for_user'] });
    if (!challenge) throw await refuse('challenge_invalid', passkeyErrors.challengeInvalid());
    if (!config.origins.includes(clientData.origin)) throw await refuse('origin_not_allowed', passkeyErrors.originNotAllowed());

    const credential = await passkeys.findByCredentialId(response.id);
    if (!credential) throw await refuse('unknown_credential', passkeyErrors.unknownCredential());
    if (challenge.ceremony === 'login_for_user' && credential.userId !== challenge.userId) {
      throw await refuse('credential_of_another_account', passkeyErrors.unknownCredential(), challenge.userId);
    }
    const userHandle = response.response.userHandle;
    if (userHandle && userHandle !== Buffer.from(userHandleOf(credential.userId)).toString('base64url')) {
      throw await refuse('user_handle_mismatch', passkeyErrors.unknownCredential(), credential.userId);
    }

    let info;
    try {
      const verification = await verifyAuthenticationResponse({
        response,
        expectedChallenge: clientData.challenge,
        expectedOrigin: config.origins,
        expectedRPID: config.rpId,
        // The counter is compared below, after the signature holds, so a regression is known to come from the key itself.
        credential: { id: credential.credentialId, publicKey: new Uint8Array(Buffer.from(credential.publicKey, 'base64url')), counter: 0 },
        requireUserVerification,
      });
      if (!verification.verified) throw new Error('signature not verified');
      info = verification.authenticationInfo;
    } catch (error) {
      const verdict = classifyVerificationError(error);
      throw await refuse(verdict.reason, verdict.error, credential.userId);
    }

    const moved = await passkeys.recordUse({ id: credential.id, newCount: info.newCounter, backedUp: info.credentialBackedUp, now: clock.now() });
    if (!moved) {
      await audit.record({
        type: 'passkey.counter_regressed',
        outcome: 'failure',
        userId: credential.userId,
        method: PASSKEY_METHOD,
        ...input.meta,
        details: { passkey_id: credential.id, stored_counter: credential.signCount, presented_counter: info.newCounter },
      });
      throw await refuse('counter_regressed', passkeyErrors.counterRegressed(), credential.userId);
    }

    const identity = await deps.identities.findById(credential.userId);
    if (!identity) throw await refuse('unknown_credential', passkeyErrors.unknownCredential());
    return deps.completeSignIn({
      user: { id: identity.id, email: identity.email },
      method: PASSKEY_METHOD,
      meta: input.meta,
      ...(info.userVerified ? { secondFactor: USER_VERIFIED_FACTOR } : {}),
    });
  }

  // ---- the user's list ---------------------------------------------------------------------------

  async function rename(userId: string, id: string, name: string): Promise<PasskeyRow> {
    const row = await passkeys.rename(userId, id, name);
    if (!row) throw passkeyErrors.notFound();
    return row;
  }

  /** Deletes a passkey unless it is the user's last way to sign in (core/identities/sign-in-methods.ts). */
  async function remove(userId: string, id: string, meta: RequestMeta): Promise<void> {
    const otherWays = (await deps.signInMethods.list(userId)).filter((method) => method.kind !== 'passkey');
    const result = await passkeys.deleteUnlessLast(userId, id, otherWays.length > 0);
    if (result.outcome === 'not_found') throw passkeyErrors.notFound();
    if (result.outcome === 'last') throw passkeyErrors.lastSignInMethod();
    await audit.record({ type: 'passkey.deleted', outcome: 'success', userId, method: PASSKEY_METHOD, ...meta, details: { passkey_id: id } });
  }

  return {
    startRegistration,
    finishRegistration,
    startLogin,
    finishLogin,
    list: (userId: string) => passkeys.listForUser(userId),
    rename,
    remove,
    /** This feature's part of a user's sign-in methods: one per passkey. */
    async signInMethods(userId: string): Promise<SignInMethod[]> {
      return (await passkeys.listForUser(userId)).map((row) => ({ kind: 'passkey', id: row.id }));
    },
    /** Passkeys that exist when a mailbox is first proven were added by its unproven holder: they go. */
    async retireUnprovenPasskeys(userId: string): Promise<Record<string, unknown>> {
      const removed = await passkeys.deleteAllForUser(userId);
      // The audit row names what went; an account without passkeys adds nothing to it.
      return removed ? { passkeysRemoved: removed } : {};
    },
    /** Challenges that ended over a day ago. */
    purgeChallenges: () => passkeys.purgeChallenges(new Date(clock.now().getTime() - 86_400_000)),
  };
}

export type PasskeyService = ReturnType<typeof createPasskeyService>;
