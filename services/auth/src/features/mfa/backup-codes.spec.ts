import { describe, expect, it } from 'vitest';
import { generateBackupCodes, hashBackupCode, normalizeBackupCode } from './backup-codes';

describe('backup codes', () => {
  it('are ten distinct xxxxx-xxxxx codes from an alphabet without look-alikes', () => {
    const codes = generateBackupCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/);
  });

  it('normalise what people type: case, spaces, dashes, and o/i/l read as 0/1', () => {
    expect(normalizeBackupCode(' ABCDE-FGH23 ')).toBe('abcdefgh23');
    expect(normalizeBackupCode('abcde fgh23')).toBe('abcdefgh23');
    expect(normalizeBackupCode('0oo1i-l2345')).toBe('0001112345');
  });

  it('refuse the wrong length or characters outside the alphabet', () => {
    expect(normalizeBackupCode('abcde-fgh2')).toBeNull();
    expect(normalizeBackupCode('abcde-fgh234')).toBeNull();
    expect(normalizeBackupCode('abcde-fghu3')).toBeNull();
  });

  it('hash the normalised form, so typing variants hash alike', () => {
    expect(hashBackupCode(normalizeBackupCode('ABCDE-FGH23')!)).toBe(hashBackupCode(normalizeBackupCode('abcdefgh23')!));
    expect(hashBackupCode('abcdefgh23')).toMatch(/^[0-9a-f]{64}$/);
  });
});
