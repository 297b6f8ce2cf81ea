import { describe, expect, it } from 'vitest';
import { clientLimiterKey } from './client-rate-limit';

describe('the rate-limit key of a client address', () => {
  it('is the address itself for a canonical IPv4 address', () => {
    expect(clientLimiterKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientLimiterKey('127.0.0.1')).toBe('127.0.0.1');
  });

  it('groups IPv6 by its /64, however the address is written', () => {
    const key = clientLimiterKey('2001:db8:1:2::1');
    expect(key).toBe('2001:db8:1:2::/64');
    expect(clientLimiterKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe(key);
    expect(clientLimiterKey('2001:db8:1:3::1')).not.toBe(key);
  });

  it('keeps a value that is not an address as it is', () => {
    expect(clientLimiterKey('unknown')).toBe('unknown');
  });
});
