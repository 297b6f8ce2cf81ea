import { loadConfig, z } from '@malet/config';
import { coreConfigFrom, coreEnvShape, refineCoreEnv } from './core/core.config';
import { devConfigFrom, devEnvShape, refineDevEnv } from './features/dev-token/dev-token.config';
import { ethereumConfigFrom, ethereumEnvShape } from './features/ethereum/ethereum.config';
import { mfaConfigFrom, mfaEnvShape, refineMfaEnv } from './features/mfa/mfa.config';
import { passkeyConfigFrom, passkeyEnvShape, refinePasskeyEnv } from './features/passkeys/passkey.config';
import { passwordConfigFrom, passwordEnvShape } from './features/passwords/password.config';
import { samlConfigFrom, samlEnvShape } from './features/saml/saml.config';
import { revocationStreamConfigFrom, revocationStreamEnvShape } from './features/revocation-stream/revocation-stream.config';
import { refineSocialEnv, socialConfigFrom, socialEnvShape } from './features/social/social.config';

/** Auth's whole environment: core's variables and each feature's own, parsed once at start-up. */
export const authEnvSchema = z
  .object({ ...coreEnvShape, ...devEnvShape, ...passwordEnvShape, ...mfaEnvShape, ...passkeyEnvShape, ...revocationStreamEnvShape, ...socialEnvShape, ...ethereumEnvShape, ...samlEnvShape })
  .superRefine((value, ctx) => {
    refineCoreEnv(value, ctx);
    refineDevEnv(value, ctx);
    refineMfaEnv(value, ctx);
    refinePasskeyEnv(value, ctx);
    refineSocialEnv(value, ctx);
  });

export type AuthConfig = ReturnType<typeof loadAuthConfig>;

export function loadAuthConfig(env: Record<string, string | undefined> = process.env) {
  const raw = loadConfig(authEnvSchema, env);
  return {
    ...coreConfigFrom(raw),
    dev: devConfigFrom(raw),
    passwords: passwordConfigFrom(raw),
    mfa: mfaConfigFrom(raw),
    passkeys: passkeyConfigFrom(raw),
    revocationStream: revocationStreamConfigFrom(raw),
    saml: samlConfigFrom(raw),
    social: socialConfigFrom(raw),
    ethereum: ethereumConfigFrom(raw),
  };
}
