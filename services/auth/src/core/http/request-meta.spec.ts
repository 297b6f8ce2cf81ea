import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import { clientAddress } from './request-meta';

describe('clientAddress', () => {
  /** A request as express presents it: the peer, and the trusted part of X-Forwarded-For (client first). */
  const request = (peer: string | undefined, ips: string[] = []) => ({ ips, socket: { remoteAddress: peer } }) as unknown as Request;

  it('is the peer without trusted proxies, and the forwarded client behind them', () => {
    expect(clientAddress(request('203.0.113.5'))).toBe('203.0.113.5');
    expect(clientAddress(request('127.0.0.1', ['198.51.100.7']))).toBe('198.51.100.7');
    expect(clientAddress(request('127.0.0.1', ['198.51.100.7', '10.0.0.2']))).toBe('198.51.100.7');
  });

  it('stops at a forwarded value that is no address: the request is the forwarding hop\'s, never a fresh client', () => {
    expect(clientAddress(request('127.0.0.1', ['garbage']))).toBe('127.0.0.1');
    expect(clientAddress(request('127.0.0.1', ['198.51.100.7:443']))).toBe('127.0.0.1');
    expect(clientAddress(request('127.0.0.1', ['198.51.100.7', 'not-an-ip', '10.0.0.2']))).toBe('10.0.0.2');
    expect(clientAddress(request('127.0.0.1', ['']))).toBe('127.0.0.1');
  });

  it('is null only without any peer address', () => {
    expect(clientAddress(request(undefined))).toBeNull();
  });
});
