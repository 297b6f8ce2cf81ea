import { z } from 'zod';
import { originList } from '../../core/core.config';

/** A host name the browser would accept as an RP ID: letters, digits, dots and dashes, no port. */
const rpIdPattern = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

/** Passkeys (WebAuthn): who the relying party is, where ceremonies may happen, what they demand. */
export const passkeyEnvShape = {
  /** The RP ID passkeys are bound to: the registrable domain (or a parent of it) the pages are served on. */
  PASSKEY_RP_ID: z.string().trim().toLowerCase().regex(rpIdPattern, 'must be a host name such as example.com').default('localhost'),
  /** The name authenticators show next to a passkey. */
  PASSKEY_RP_NAME: z.string().trim().min(1).max(64).default('Malet'),
  /**
   * Origins (comma-separated) whose pages may run a ceremony, besides auth's own PUBLIC_URL: the
   * gateway, which serves the hosted pages on the same origin as `/graphql`.
   */
  PASSKEY_ORIGINS: originList('http://localhost:30000'),
  /**
   * `required`: an assertion without user verification (PIN, biometrics) is refused. `preferred`:
   * it is accepted as a first factor and passes the MFA gate like a password.
   */
  PASSKEY_USER_VERIFICATION: z.enum(['required', 'preferred']).default('required'),
  /** `none` (default) keeps no attestation; `direct` asks for it and records the authenticator's AAGUID. */
  PASSKEY_ATTESTATION: z.enum(['none', 'direct']).default('none'),
  /** How long a ceremony's challenge stays usable. */
  PASSKEY_CHALLENGE_TTL_SECONDS: z.coerce.number().int().min(30).max(900).default(300),
};

type PasskeyEnv = z.infer<z.ZodObject<typeof passkeyEnvShape>> & { PUBLIC_URL: string };

/** Every allowed origin must be the RP ID's host or one of its subdomains, or browsers refuse every ceremony. */
export function refinePasskeyEnv(value: PasskeyEnv, ctx: z.RefinementCtx): void {
  for (const origin of [...value.PASSKEY_ORIGINS, new URL(value.PUBLIC_URL).origin]) {
    const host = new URL(origin).hostname;
    if (host !== value.PASSKEY_RP_ID && !host.endsWith(`.${value.PASSKEY_RP_ID}`)) {
      ctx.addIssue({ code: 'custom', path: ['PASSKEY_ORIGINS'], message: `every origin (and PUBLIC_URL) must be on PASSKEY_RP_ID or a subdomain of it` });
      return;
    }
  }
}

export function passkeyConfigFrom(raw: PasskeyEnv) {
  return {
    rpId: raw.PASSKEY_RP_ID,
    rpName: raw.PASSKEY_RP_NAME,
    /** Auth's own origin always counts: its hosted pages run ceremonies there. */
    origins: [...new Set([new URL(raw.PUBLIC_URL).origin, ...raw.PASSKEY_ORIGINS])],
    userVerification: raw.PASSKEY_USER_VERIFICATION,
    attestation: raw.PASSKEY_ATTESTATION,
    challengeTtlSeconds: raw.PASSKEY_CHALLENGE_TTL_SECONDS,
  };
}

export type PasskeyConfig = ReturnType<typeof passkeyConfigFrom>;
