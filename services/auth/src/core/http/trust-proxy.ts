import type { TrustedProxies } from '@malet/http-server';

/**
 * What express's `trust proxy` is set to: `false` (express's default, no proxy is believed), a
 * hop count, or the addresses (and ranges) of the proxies whose `X-Forwarded-For` is believed.
 */
export type TrustProxySetting = false | number | string[];

/**
 * TRUST_PROXY (parsed by @malet/http-server, one syntax with the gateway) as express takes it. A
 * hop count stays a number: express would read the string "1" as the address 0.0.0.1.
 */
export function expressTrustProxy(trusted: TrustedProxies): TrustProxySetting {
  if (trusted.kind === 'none') return false;
  if (trusted.kind === 'hops') return trusted.count;
  return trusted.list;
}
