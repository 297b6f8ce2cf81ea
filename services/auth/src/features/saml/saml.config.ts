import { z } from 'zod';
import { httpUrl } from '@malet/config';

/** SAML single sign-on: where organizations' connections are read, and the protocol's bounds. */
export const samlEnvShape = {
  /** The organizations service, which keeps each organization's SAML connection. */
  ORGANIZATIONS_URL: httpUrl.default('http://127.0.0.1:3011'),
  /**
   * How long auth keeps an organization's connection (and a "none") before asking again: a
   * deleted or changed connection stops being honoured within this time. 0 asks every time.
   */
  SAML_CONNECTION_CACHE_TTL_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
  /** Tolerance for the IdP's clock on NotBefore / NotOnOrAfter (bounded: 5 minutes at most). */
  SAML_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(300).default(120),
  /** How long an AuthnRequest waits for its answer (the IdP's sign-in page is in between). */
  SAML_REQUEST_TTL_SECONDS: z.coerce.number().int().min(60).max(3_600).default(600),
};

type SamlEnv = z.infer<z.ZodObject<typeof samlEnvShape>>;

export function samlConfigFrom(raw: SamlEnv) {
  return {
    organizationsUrl: raw.ORGANIZATIONS_URL,
    connectionCacheTtlMs: raw.SAML_CONNECTION_CACHE_TTL_MS,
    clockSkewSeconds: raw.SAML_CLOCK_SKEW_SECONDS,
    requestTtlSeconds: raw.SAML_REQUEST_TTL_SECONDS,
  };
}

export type SamlConfig = ReturnType<typeof samlConfigFrom>;
