import { describe, expect, it } from 'vitest';
import { hashToken, looksLikeToken, mintSixDigitCode, mintToken, sameHexDigest } from './tokens';

describe('token primitives', () => {
  it('mints prefixed 32-byte tokens that the shape check accepts, and nothing else', () => {
    const token = mintToken('sess');
    expect(token).toMatch(/^sess_[A-Za-z0-9_-]{43}$/);
    expect(looksLikeToken('sess', token)).toBe(true);
    expect(mintToken('sess')).not.toBe(token);
    expect(looksLikeToken('ref', token)).toBe(false);
    expect(looksLikeToken('sess', token.slice(0, -1))).toBe(false);
    expect(looksLikeToken('sess', `${token}A`)).toBe(false);
    expect(looksLikeToken('sess', `${token.slice(0, -1)}%`)).toBe(false);
  });

  it('hashes tokens as SHA-256 hex, the only form stored', () => {
    expect(hashToken('sess_x')).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken('sess_x')).toBe(hashToken('sess_x'));
    expect(hashToken('sess_y')).not.toBe(hashToken('sess_x'));
  });

  it('mints 6-digit codes, zero-padded', () => {
    const codes = Array.from({ length: 200 }, mintSixDigitCode);
    for (const code of codes) expect(code).toMatch(/^\d{6}$/);
    expect(new Set(codes).size).toBeGreaterThan(150);
  });

  it('compares hex digests in constant time: equal only for the same non-empty digest', () => {
    const digest = hashToken('a');
    expect(sameHexDigest(digest, digest)).toBe(true);
    expect(sameHexDigest(digest, hashToken('b'))).toBe(false);
    expect(sameHexDigest(digest, digest.slice(0, 62))).toBe(false);
    expect(sameHexDigest('', '')).toBe(false);
  });
});
