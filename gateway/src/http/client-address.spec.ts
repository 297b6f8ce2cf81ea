import { compileTrustedProxies, parseTrustedProxies } from '@malet/http-server';
import { describe, expect, it } from 'vitest';
import { determineClientAddress } from './client-address';

const request = (peer: string, forwardedFor?: string) => ({
  socket: { remoteAddress: peer },
  headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
});
/** The client address with TRUST_PROXY as @malet/http-server parses it (its own spec checks the syntax). */
const clientOf = (trustProxy: string, peer: string, forwardedFor?: string) =>
  determineClientAddress(request(peer, forwardedFor) as never, compileTrustedProxies(parseTrustedProxies(trustProxy)));

describe('the client address', () => {
  it('is the socket peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientOf('none', '203.0.113.9', '198.51.100.1')).toEqual({ address: '203.0.113.9', source: 'direct' });
    expect(clientOf('none', '::ffff:203.0.113.9')).toEqual({ address: '203.0.113.9', source: 'direct' });
  });

  it('is written one way whichever form the socket reports: IPv4 mapped into IPv6 in any spelling becomes the dotted quad, IPv6 its short form', () => {
    for (const peer of ['203.0.113.9', '::ffff:203.0.113.9', '::FFFF:203.0.113.9', '::ffff:cb00:7109', '0:0:0:0:0:ffff:203.0.113.9']) {
      expect(clientOf('none', peer).address, peer).toBe('203.0.113.9');
    }
    expect(clientOf('none', '2001:DB8:0:0:0:0:0:1').address).toBe('2001:db8::1');
  });

  it('is the socket peer when the peer is not one of the trusted proxies', () => {
    expect(clientOf('10.0.0.0/8', '203.0.113.9', '198.51.100.1')).toEqual({ address: '203.0.113.9', source: 'direct' });
  });

  it('is the right-most untrusted entry behind trusted proxies, so a forged left-most entry is never reached', () => {
    expect(clientOf('10.0.0.0/8', '10.0.0.2', '1.1.1.1, 198.51.100.1')).toEqual({ address: '198.51.100.1', source: 'forwarded' });
    expect(clientOf('10.0.0.0/8', '10.0.0.2', '1.1.1.1, 198.51.100.1, 10.0.0.3')).toEqual({ address: '198.51.100.1', source: 'forwarded' });
  });

  it('counts hops exactly: one hop believes the last entry only, two hops the one before', () => {
    expect(clientOf('1', '10.0.0.2', '1.1.1.1, 198.51.100.1')).toEqual({ address: '198.51.100.1', source: 'forwarded' });
    expect(clientOf('2', '10.0.0.2', '1.1.1.1, 198.51.100.1')).toEqual({ address: '1.1.1.1', source: 'forwarded' });
    expect(clientOf('1', '10.0.0.2')).toEqual({ address: '10.0.0.2', source: 'direct' });
  });

  it('treats an unparsable entry on the trusted walk as untrusted: the request counts as the proxy\'s, never as a fresh client', () => {
    for (const header of ['garbage', '198.51.100.1:4711', '198.51.100.1;evil', '999.1.1.1', 'unknown']) {
      expect(clientOf('10.0.0.0/8', '10.0.0.2', header), header).toEqual({ address: '10.0.0.2', source: 'unparsable' });
      expect(clientOf('1', '10.0.0.2', header), header).toEqual({ address: '10.0.0.2', source: 'unparsable' });
    }
    // Garbage left of the first untrusted address is never read.
    expect(clientOf('10.0.0.0/8', '10.0.0.2', 'garbage, 198.51.100.1')).toEqual({ address: '198.51.100.1', source: 'forwarded' });
  });
});
