import { isIP } from 'node:net';

/** proxy-addr's names for address ranges, which express's `trust proxy` understands. */
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * What express's `trust proxy` is set to: a hop count, or the addresses (and ranges) of the
 * proxies whose `X-Forwarded-For` is believed.
 */
export type TrustProxySetting = number | string[];

/**
 * Reads `TRUST_PROXY`, accepting only forms that cannot be misread:
 *
 * - `hops:N`: the N nearest hops are proxies (the client is the N-th address from the right of
 *   `X-Forwarded-For`);
 * - a comma-separated list of full IPv4/IPv6 addresses, CIDRs and the names `loopback`,
 *   `linklocal`, `uniquelocal`.
 *
 * Everything else is refused, in particular a bare number: express reads `"1"` as the address
 * 0.0.0.1 rather than one hop, so every client would share the proxy's address and its rate
 * limits. Shorthand addresses (`10.1`), netmask notation and `true` (trust anyone) are refused
 * for the same reason: the operator must say exactly what is meant.
 */
export function parseTrustProxy(value: string): { setting: TrustProxySetting } | { problem: string } {
  const trimmed = value.trim();
  const hops = /^hops:(\d{1,2})$/.exec(trimmed);
  if (hops) return { setting: Number(hops[1]) };
  if (/^\d+$/.test(trimmed)) {
    return { problem: `is ambiguous: a bare number is read as an address, not a hop count; write hops:${trimmed} for ${trimmed} proxy hop(s), or list the proxies' addresses` };
  }
  const items = trimmed.split(',').map((item) => item.trim());
  if (items.some((item) => !item)) return { problem: 'must be hops:N or a comma-separated list without empty items' };
  for (const item of items) {
    if (!RANGE_NAMES.has(item) && !isAddressOrCidr(item)) {
      return { problem: 'must be hops:N, or comma-separated full IP addresses, CIDRs (10.0.0.0/8) and loopback/linklocal/uniquelocal' };
    }
  }
  return { setting: items };
}

function isAddressOrCidr(item: string): boolean {
  const [address = '', prefix, ...rest] = item.split('/');
  if (rest.length > 0) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}
