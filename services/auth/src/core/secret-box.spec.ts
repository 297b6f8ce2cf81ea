import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox, parseSecretKey } from './secret-box';

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };

describe('secret box (AES-256-GCM at rest)', () => {
  it('opens what it sealed, for the same context only', () => {
    const box = createSecretBox({ current: k1 });
    const sealed = box.seal('JBSWY3DPEHPK3PXP', 'mfa:totp:user-1');
    expect(sealed).toMatch(/^v1\.k1\./);
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(box.open(sealed, 'mfa:totp:user-1')).toBe('JBSWY3DPEHPK3PXP');
    expect(() => box.open(sealed, 'mfa:totp:user-2')).toThrow();
  });

  it('refuses a tampered value and an unknown key id', () => {
    const box = createSecretBox({ current: k1 });
    const parts = box.seal('secret', 'ctx').split('.');
    const flipped = Buffer.from(parts[3]!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => box.open([...parts.slice(0, 3), flipped.toString('base64url'), parts[4]].join('.'), 'ctx')).toThrow();
    expect(() => box.open(['v1', 'k9', ...parts.slice(2)].join('.'), 'ctx')).toThrow(/unknown format or key id/);
  });

  it('keeps opening values sealed under a previous key after rotation, and says they are stale', () => {
    const old = createSecretBox({ current: k1 }).seal('secret', 'ctx');
    const rotated = createSecretBox({ current: k2, previous: [k1] });
    expect(rotated.open(old, 'ctx')).toBe('secret');
    expect(rotated.isStale(old)).toBe(true);
    expect(rotated.isStale(rotated.seal('secret', 'ctx'))).toBe(false);
    expect(() => createSecretBox({ current: k2 }).open(old, 'ctx')).toThrow();
  });

  it('reads 32-byte keys as hex or base64, and nothing shorter or longer', () => {
    const key = randomBytes(32);
    expect(parseSecretKey(key.toString('hex'))?.equals(key)).toBe(true);
    expect(parseSecretKey(key.toString('base64'))?.equals(key)).toBe(true);
    expect(parseSecretKey(key.toString('base64url'))?.equals(key)).toBe(true);
    expect(parseSecretKey(randomBytes(31).toString('hex'))).toBeNull();
    expect(parseSecretKey(randomBytes(33).toString('hex'))).toBeNull();
    expect(parseSecretKey('not a key')).toBeNull();
  });
});
