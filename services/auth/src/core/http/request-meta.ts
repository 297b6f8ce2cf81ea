import { isIP } from 'node:net';
import type { Request } from 'express';

/** Who is asking, as audit rows, sessions and per-client rate limits record it. */
export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

export function requestMeta(req: Request): RequestMeta {
  return { ip: clientAddress(req), userAgent: req.get('user-agent')?.slice(0, 512) ?? null };
}

/**
 * The client's address: the connecting peer, or the address a chain of trusted proxies (the
 * `trust proxy` setting, TRUST_PROXY) forwarded in `X-Forwarded-For`.
 *
 * express takes whatever string sits at the chosen position of the header, so a forged entry
 * that is no address at all (`garbage`, `1.2.3.4:80`) would become "the client", a fresh
 * rate-limit bucket on every request. Here the chain is walked from the peer outwards and stops
 * at the first entry that is not an IP address: the request is then the hop's that forwarded
 * it, which is never a pass (authentik CVE-2024-47070 is this class).
 */
export function clientAddress(req: Pick<Request, 'ips' | 'socket'>): string | null {
  const chain = [req.socket.remoteAddress, ...[...(req.ips ?? [])].reverse()];
  let client: string | null = null;
  for (const hop of chain) {
    if (!hop || isIP(hop) === 0) break;
    client = hop;
  }
  return client;
}
