import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import { bodyEmailKey, clientIpKey } from './rate-limit.policies';

const fromIp = (ip: string) => ({ ips: [], socket: { remoteAddress: ip } }) as unknown as Request;

describe('rate-limit keys', () => {
  it('count an IPv4-mapped IPv6 address as the IPv4 address', () => {
    expect(clientIpKey(fromIp('::ffff:203.0.113.7'))).toBe('203.0.113.7');
    expect(clientIpKey(fromIp('203.0.113.7'))).toBe('203.0.113.7');
  });

  it('group IPv6 by its /64, so rotating addresses inside one allocation shares a counter', () => {
    expect(clientIpKey(fromIp('2001:db8:1:2::1'))).toBe('2001:0db8:0001:0002::/64');
    expect(clientIpKey(fromIp('2001:db8:1:2:ffff:ffff:ffff:ffff'))).toBe(clientIpKey(fromIp('2001:db8:1:2::1')));
    expect(clientIpKey(fromIp('2001:db8:1:3::1'))).not.toBe(clientIpKey(fromIp('2001:db8:1:2::1')));
  });

  it('key emails by their canonical spelling, and skip bodies without one', () => {
    const body = (value: unknown) => ({ body: { email: value } }) as unknown as Request;
    expect(bodyEmailKey(body(' A@Example.com '))).toBe('a@example.com');
    expect(bodyEmailKey(body(''))).toBeNull();
    expect(bodyEmailKey(body(42))).toBeNull();
    expect(bodyEmailKey({} as Request)).toBeNull();
  });
});
