import type { IncomingMessage } from 'node:http';
import ipaddr from 'ipaddr.js';
import proxyaddr from 'proxy-addr';

/**
 * Which hops in front of the gateway may tell it the client's address (`TRUST_PROXY`). Only
 * explicit forms: nothing (the gateway is the public edge), a hop count (exactly that many
 * proxies, each appending to X-Forwarded-For), or a list of addresses and CIDRs (loopback,
 * linklocal and uniquelocal name their ranges). Anything else is refused at start-up: express
 * reads "1" in a list as the address 0.0.0.1, and "true" as "trust every hop".
 */
export type TrustedProxies = { kind: 'none' } | { kind: 'hops'; count: number } | { kind: 'addresses'; list: string[] };

const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** Parses TRUST_PROXY; throws with the rule broken (never echoing the value). */
export function parseTrustedProxies(value: string): TrustedProxies {
  const trimmed = value.trim();
  if (trimmed === '' || trimmed === 'none') return { kind: 'none' };
  // A hop count, bare or written as auth's TRUST_PROXY takes it (`hops:N`).
  const hops = /^(?:hops:)?(\d+)$/.exec(trimmed);
  if (hops) {
    const count = Number(hops[1]);
    if (count < 1 || count > 10) throw new Error('a hop count must be between 1 and 10');
    return { kind: 'hops', count };
  }
  const list = trimmed.split(',').map((entry) => entry.trim());
  for (const entry of list) {
    if (NAMED_RANGES.has(entry)) continue;
    const [address, bits, extra] = entry.split('/');
    if (extra !== undefined || !address || !ipaddr.isValid(address) || /^\d+$/.test(address)) {
      throw new Error('must be "none", a hop count, or a comma-separated list of IP addresses, CIDRs, loopback, linklocal or uniquelocal');
    }
    if (bits !== undefined) {
      const max = ipaddr.parse(address).kind() === 'ipv4' ? 32 : 128;
      if (!/^\d+$/.test(bits) || Number(bits) > max) throw new Error('a CIDR prefix length must be a number within the address family');
    }
  }
  return { kind: 'addresses', list };
}

/** The `trust proxy` function express and proxy-addr take: is the hop at `index` (0 = the socket peer) one of ours? */
export function compileTrust(trusted: TrustedProxies): (address: string, index: number) => boolean {
  if (trusted.kind === 'none') return () => false;
  if (trusted.kind === 'hops') return (_address, index) => index < trusted.count;
  return proxyaddr.compile(trusted.list);
}

export interface ClientAddress {
  /** The client's address as this gateway determined it (IPv4-mapped IPv6 written as IPv4). */
  address: string;
  /**
   * `direct`: no trusted proxy in front (forwarding headers ignored); `forwarded`: read from
   * X-Forwarded-For through trusted hops; `unparsable`: a trusted hop's header held something
   * that is not an address, so the request is attributed to the nearest hop instead.
   */
  source: 'direct' | 'forwarded' | 'unparsable';
}

/**
 * The client address: walk X-Forwarded-For from the socket peer leftwards while each hop is
 * trusted, and take the first untrusted one; a forged left-most entry is never reached past an
 * address the gateway can vouch for. An entry on that walk that does not parse as an address
 * makes the whole header untrusted (authentik CVE-2024-47070 was a garbage header skipping a
 * check): the request then counts as the socket peer's, which shares its budget rather than
 * getting a fresh one.
 */
export function determineClientAddress(req: Pick<IncomingMessage, 'headers' | 'socket'>, trust: (address: string, index: number) => boolean): ClientAddress {
  const peer = canonical(req.socket.remoteAddress ?? '');
  const chain = proxyaddr.all(req as IncomingMessage, trust);
  if (chain.length <= 1) return { address: peer, source: 'direct' };
  if (chain.slice(1).some((entry) => !ipaddr.isValid(entry))) return { address: peer, source: 'unparsable' };
  return { address: canonical(chain.at(-1)!), source: 'forwarded' };
}

function canonical(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) return (parsed as ipaddr.IPv6).toIPv4Address().toString();
  return parsed.toString();
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- express types are augmented through this global namespace
  namespace Express {
    interface Request {
      /** Who sent this request, as the gateway determined it (http/client-address.ts). */
      clientAddress: ClientAddress;
    }
  }
}
