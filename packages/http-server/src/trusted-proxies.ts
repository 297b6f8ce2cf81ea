import { isIP } from 'node:net';
import proxyaddr from 'proxy-addr';
import { z } from 'zod';

/**
 * Which hops in front of a service may tell it the client's address (`TRUST_PROXY`): nothing
 * (the service is the public edge), a hop count (exactly that many proxies, each appending to
 * X-Forwarded-For), or a list of addresses, CIDRs and proxy-addr's range names.
 */
export type TrustedProxies = { kind: 'none' } | { kind: 'hops'; count: number } | { kind: 'addresses'; list: string[] };

/** proxy-addr's names for address ranges, which express's `trust proxy` understands too. */
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const MAX_HOPS = 10;

/**
 * Reads `TRUST_PROXY`, accepting only forms that cannot be misread:
 *
 * - `none` or nothing: no proxy is trusted;
 * - `N` or `hops:N` (1 to 10): the N nearest hops are proxies (the client is the N-th address from
 *   the right of `X-Forwarded-For`). A bare number is safe here because it becomes a number:
 *   handed to express as the string "1" it would be the address 0.0.0.1;
 * - a comma-separated list of full IPv4/IPv6 addresses, CIDRs and the names `loopback`,
 *   `linklocal`, `uniquelocal`.
 *
 * Everything else is refused: shorthand addresses (`10.1`), netmask notation, `true` (trust
 * anyone), host names. Throws with the rule broken, never echoing the value (it may be a secret
 * pasted into the wrong variable).
 */
export function parseTrustedProxies(value: string): TrustedProxies {
  const trimmed = value.trim();
  if (trimmed === '' || trimmed === 'none') return { kind: 'none' };
  const hops = /^(?:hops:)?(\d+)$/.exec(trimmed);
  if (hops) {
    const count = Number(hops[1]);
    if (count < 1 || count > MAX_HOPS) throw new Error(`a hop count (N or hops:N) must be between 1 and ${MAX_HOPS}`);
    return { kind: 'hops', count };
  }
  const list = trimmed.split(',').map((entry) => entry.trim());
  for (const entry of list) {
    if (RANGE_NAMES.has(entry)) continue;
    const [address = '', prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    if (rest.length > 0 || family === 0) {
      throw new Error(
        `must be "none", a hop count (N or hops:N, 1 to ${MAX_HOPS}), or a comma-separated list of full IP addresses, CIDRs (10.0.0.0/8), loopback, linklocal or uniquelocal`,
      );
    }
    if (prefix !== undefined && (!/^\d{1,3}$/.test(prefix) || Number(prefix) > (family === 4 ? 32 : 128))) {
      throw new Error('a CIDR prefix length must be a number within the address family (at most 32 for IPv4, 128 for IPv6)');
    }
  }
  return { kind: 'addresses', list };
}

/**
 * The trust rule express (`app.set('trust proxy', …)`) and proxy-addr take: is the hop at `index`
 * (0 = the socket peer) one of ours? One conversion for every service, so a hop count is always
 * a count (express reads the string "1" as the address 0.0.0.1) and a list always a list.
 */
export function compileTrustedProxies(trusted: TrustedProxies): (address: string, index: number) => boolean {
  if (trusted.kind === 'none') return () => false;
  if (trusted.kind === 'hops') return (_address, index) => index < trusted.count;
  return proxyaddr.compile(trusted.list);
}

/** `TRUST_PROXY` in a service's zod env schema: `fallback` when unset, refused with the rule broken. */
export function trustedProxiesEnv(fallback: string) {
  return z
    .string()
    .default(fallback)
    .transform((value, ctx): TrustedProxies => {
      try {
        return parseTrustedProxies(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    });
}
