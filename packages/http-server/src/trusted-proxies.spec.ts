import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseTrustedProxies, trustedProxiesEnv } from './trusted-proxies';

describe('TRUST_PROXY accepts explicit forms only', () => {
  it.each([
    ['', { kind: 'none' }],
    ['none', { kind: 'none' }],
    // A bare number is a hop count: it becomes a number, never the string express reads as 0.0.0.1.
    ['1', { kind: 'hops', count: 1 }],
    ['2', { kind: 'hops', count: 2 }],
    ['10', { kind: 'hops', count: 10 }],
    ['hops:1', { kind: 'hops', count: 1 }],
    ['hops:2', { kind: 'hops', count: 2 }],
    ['hops:10', { kind: 'hops', count: 10 }],
    ['loopback', { kind: 'addresses', list: ['loopback'] }],
    ['loopback, uniquelocal', { kind: 'addresses', list: ['loopback', 'uniquelocal'] }],
    ['10.0.0.0/8', { kind: 'addresses', list: ['10.0.0.0/8'] }],
    ['10.0.0.0/8,192.168.1.7', { kind: 'addresses', list: ['10.0.0.0/8', '192.168.1.7'] }],
    ['10.0.0.7/32', { kind: 'addresses', list: ['10.0.0.7/32'] }],
    ['fd00::/8, ::1', { kind: 'addresses', list: ['fd00::/8', '::1'] }],
    ['fd00::1/128', { kind: 'addresses', list: ['fd00::1/128'] }],
    ['loopback, 192.168.1.7, fd00::/8', { kind: 'addresses', list: ['loopback', '192.168.1.7', 'fd00::/8'] }],
  ])('%j parses', (value, parsed) => expect(parseTrustedProxies(value)).toEqual(parsed));

  it.each([
    '0',
    '11',
    'hops:0',
    'hops:11',
    'hops:',
    '10.1',
    '0x7f.1',
    'true',
    'false',
    '*',
    '10.0.0.0/33',
    'fd00::/129',
    '10.0.0.0/255.0.0.0',
    '10.0.0.0/8/1',
    '10.0.0.0/x',
    'loopback,,uniquelocal',
    'hops:1,loopback',
    '1, 10.0.0.0/8',
    'gateway',
    'gateway.local',
  ])('%j is refused', (value) => expect(() => parseTrustedProxies(value)).toThrow());

  it('names the rule broken and never echoes the value', () => {
    for (const [value, rule] of [
      ['hops:11', /between 1 and 10/],
      ['s3cret-pasted-here', /hop count.*CIDRs/],
      ['10.0.0.0/4711', /prefix length/],
    ] as const) {
      let message = '';
      try {
        parseTrustedProxies(value);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message, value).toMatch(rule);
      expect(message, value).not.toContain(value);
    }
  });
});

describe('trustedProxiesEnv', () => {
  const schema = z.object({ TRUST_PROXY: trustedProxiesEnv('loopback') });

  it('parses the variable, and its fallback when unset', () => {
    expect(schema.parse({ TRUST_PROXY: 'hops:2' }).TRUST_PROXY).toEqual({ kind: 'hops', count: 2 });
    expect(schema.parse({}).TRUST_PROXY).toEqual({ kind: 'addresses', list: ['loopback'] });
  });

  it('refuses a value the parser refuses, as a zod issue on TRUST_PROXY with the rule', () => {
    const result = schema.safeParse({ TRUST_PROXY: 'true' });
    expect(result.success).toBe(false);
    expect(result.error!.issues).toEqual([expect.objectContaining({ path: ['TRUST_PROXY'], message: expect.stringMatching(/hop count/) })]);
  });
});
