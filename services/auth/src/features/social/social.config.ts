import { z } from 'zod';
import { httpUrl } from '@malet/config';
import { PROVIDER_DEFAULTS, PROVIDER_NAMES, type ProviderName } from './oauth-providers';

/**
 * Social sign-in's environment: per provider `OAUTH_<PROVIDER>_…` (GOOGLE, APPLE, TWITTER,
 * FACEBOOK, GITHUB). A provider is on once its CLIENT_ID is set; every endpoint defaults to the
 * real provider's and can be pointed elsewhere (tests and `pnpm dev` point them at a stand-in).
 *
 * - `CLIENT_ID`, `CLIENT_SECRET`: the web client (Apple: the Services ID; its secret is minted
 *   from `APPLE_TEAM_ID`, `APPLE_KEY_ID` and `APPLE_PRIVATE_KEY` unless CLIENT_SECRET is given).
 * - `MOBILE_CLIENT_IDS`: comma-separated client ids of the native apps, accepted as the audience
 *   of tokens presented to `POST /auth/mobile/token` (the web CLIENT_ID always is).
 * - `ISSUER`, `AUTHORIZATION_URL`, `TOKEN_URL`, `USERINFO_URL`, `JWKS_URL`, and Google's
 *   `TOKENINFO_URL`, GitHub's `EMAILS_URL`: the provider's endpoints.
 */
const ENDPOINT_KEYS = ['ISSUER', 'AUTHORIZATION_URL', 'TOKEN_URL', 'USERINFO_URL', 'JWKS_URL', 'TOKENINFO_URL', 'EMAILS_URL'] as const;
const CLIENT_KEYS = ['CLIENT_ID', 'CLIENT_SECRET', 'MOBILE_CLIENT_IDS'] as const;
type ProviderKey = `OAUTH_${Uppercase<ProviderName>}_${(typeof ENDPOINT_KEYS)[number] | (typeof CLIENT_KEYS)[number]}`;

const optionalUrl = httpUrl.optional();
const optionalText = z.string().min(1).max(4096).optional();

export const socialEnvShape = {
  ...(Object.fromEntries(
    PROVIDER_NAMES.flatMap((provider) => [
      ...ENDPOINT_KEYS.map((key) => [`OAUTH_${provider.toUpperCase()}_${key}`, optionalUrl]),
      ...CLIENT_KEYS.map((key) => [`OAUTH_${provider.toUpperCase()}_${key}`, optionalText]),
    ]),
  ) as Record<ProviderKey, typeof optionalUrl | typeof optionalText>),
  OAUTH_APPLE_TEAM_ID: z.string().regex(/^[A-Z0-9]{10}$/, 'must be a 10-character Apple team id').optional(),
  OAUTH_APPLE_KEY_ID: z.string().regex(/^[A-Z0-9]{10}$/, 'must be a 10-character Apple key id').optional(),
  /** The Sign in with Apple key (PKCS#8 PEM; `\n` may stand for newlines). */
  OAUTH_APPLE_PRIVATE_KEY: z.string().includes('PRIVATE KEY', { message: 'must be a PEM private key' }).optional(),
  /** How long a started sign-in may take at the provider before its state expires (600 s). */
  OAUTH_FLOW_TTL_SECONDS: z.coerce.number().int().min(60).max(3600).default(600),
};

type SocialEnv = { [K in ProviderKey]?: string | undefined } & {
  NODE_ENV: string;
  OAUTH_APPLE_TEAM_ID?: string | undefined;
  OAUTH_APPLE_KEY_ID?: string | undefined;
  OAUTH_APPLE_PRIVATE_KEY?: string | undefined;
  OAUTH_FLOW_TTL_SECONDS: number;
};

const read = (raw: SocialEnv, provider: ProviderName, key: (typeof ENDPOINT_KEYS)[number] | (typeof CLIENT_KEYS)[number]) =>
  raw[`OAUTH_${provider.toUpperCase() as Uppercase<ProviderName>}_${key}`];

export function refineSocialEnv(value: SocialEnv, ctx: z.RefinementCtx): void {
  const apple = [value.OAUTH_APPLE_TEAM_ID, value.OAUTH_APPLE_KEY_ID, value.OAUTH_APPLE_PRIVATE_KEY];
  if (apple.some(Boolean) && !apple.every(Boolean)) {
    ctx.addIssue({ code: 'custom', path: ['OAUTH_APPLE_PRIVATE_KEY'], message: 'OAUTH_APPLE_TEAM_ID, OAUTH_APPLE_KEY_ID and OAUTH_APPLE_PRIVATE_KEY go together' });
  }
  for (const provider of PROVIDER_NAMES) {
    if (value.NODE_ENV !== 'production') continue;
    // Tokens and codes travel to these endpoints: plain HTTP only off production (tests, the dev stand-in).
    for (const key of ENDPOINT_KEYS) {
      if (read(value, provider, key)?.startsWith('http:')) {
        ctx.addIssue({ code: 'custom', path: [`OAUTH_${provider.toUpperCase()}_${key}`], message: 'must be an https URL in production' });
      }
    }
  }
}

export interface ProviderEndpoints {
  issuer: string;
  authorization: string;
  token: string;
  userinfo: string | null;
  jwks: string | null;
  tokeninfo: string | null;
  emails: string | null;
}

export interface ProviderSettings {
  name: ProviderName;
  clientId: string;
  clientSecret: string | null;
  /** Audiences accepted on mobile tokens: the web client id and the native apps'. */
  audiences: string[];
  endpoints: ProviderEndpoints;
  apple: { teamId: string; keyId: string; privateKey: string } | null;
}

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

export function socialConfigFrom(raw: SocialEnv) {
  const providers: ProviderSettings[] = [];
  for (const name of PROVIDER_NAMES) {
    const clientId = read(raw, name, 'CLIENT_ID');
    if (!clientId) continue;
    const defaults = PROVIDER_DEFAULTS[name];
    const endpoint = (key: (typeof ENDPOINT_KEYS)[number], fallback: string | null) => read(raw, name, key) ?? fallback;
    providers.push({
      name,
      clientId,
      clientSecret: read(raw, name, 'CLIENT_SECRET') ?? null,
      audiences: [...new Set([clientId, ...list(read(raw, name, 'MOBILE_CLIENT_IDS'))])],
      endpoints: {
        issuer: endpoint('ISSUER', defaults.issuer)!,
        authorization: endpoint('AUTHORIZATION_URL', defaults.authorization)!,
        token: endpoint('TOKEN_URL', defaults.token)!,
        userinfo: endpoint('USERINFO_URL', defaults.userinfo),
        jwks: endpoint('JWKS_URL', defaults.jwks),
        tokeninfo: endpoint('TOKENINFO_URL', defaults.tokeninfo),
        emails: endpoint('EMAILS_URL', defaults.emails),
      },
      apple:
        name === 'apple' && raw.OAUTH_APPLE_TEAM_ID && raw.OAUTH_APPLE_KEY_ID && raw.OAUTH_APPLE_PRIVATE_KEY
          ? { teamId: raw.OAUTH_APPLE_TEAM_ID, keyId: raw.OAUTH_APPLE_KEY_ID, privateKey: raw.OAUTH_APPLE_PRIVATE_KEY.replace(/\\n/g, '\n') }
          : null,
    });
  }
  return { providers, flowTtlSeconds: raw.OAUTH_FLOW_TTL_SECONDS };
}

export type SocialConfig = ReturnType<typeof socialConfigFrom>;
