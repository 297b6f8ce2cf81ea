import { afterAll, beforeAll } from 'vitest';
import { startOAuthProviderStandIn, type OAuthProviderStandIn } from '@malet/testing';

/**
 * The sign-in providers' stand-in for a whole test file, started before auth (call this first,
 * then pass `() => ({ env: standIn().authEnv() })` to `startAuthForFile`) and stopped after.
 */
export function startProviderStandInForFile(): () => OAuthProviderStandIn {
  let started: OAuthProviderStandIn | undefined;
  beforeAll(async () => {
    started = await startOAuthProviderStandIn();
  });
  afterAll(() => started?.stop());
  return () => {
    if (!started) throw new Error('the provider stand-in is not started yet: use it inside a test or a hook');
    return started;
  };
}
