import type { IncomingMessage } from 'node:http';
import { isIPv4 } from 'node:net';
import ipaddr from 'ipaddr.js';
import proxyaddr from 'proxy-addr';

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
  // What sockets report, already canonical: a dotted quad, or one mapped into IPv6. No parse on
  // the hot path (net.isIPv4 takes only the canonical form, without leading zeros).
  if (isIPv4(address)) return address;
  if (address.startsWith('::ffff:') && isIPv4(address.slice(7))) return address.slice(7);
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
