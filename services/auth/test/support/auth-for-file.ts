import { afterAll, beforeAll } from 'vitest';
import { startAuth, type AuthHarness, type AuthHarnessOptions } from './auth-harness';
import { httpClient } from './http-client';

/**
 * One auth for a whole test file: started before its first test, stopped after its last. `auth`
 * stands for that instance (reading it before the file's `beforeAll` has run is an error); `api`
 * is its HTTP client, which module-level helpers may hold on to. Options that depend on something
 * an earlier `beforeAll` starts (a provider stand-in's URL) are given as a function, read then.
 */
export function startAuthForFile(options: AuthHarnessOptions | (() => AuthHarnessOptions) = {}) {
  let started: AuthHarness | undefined;
  beforeAll(async () => {
    started = await startAuth(typeof options === 'function' ? options() : options);
  });
  afterAll(() => started?.stop());

  const current = (): AuthHarness => {
    if (!started) throw new Error('auth is not started yet: use it inside a test or a hook');
    return started;
  };
  const auth = new Proxy({} as AuthHarness, { get: (_target, property) => Reflect.get(current(), property) });
  return { auth, api: httpClient(() => current().url) };
}
