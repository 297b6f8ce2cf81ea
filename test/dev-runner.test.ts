import { describe, expect, it } from 'vitest';
import { describeError } from '../scripts/dev/error.message';
import { restartDelayMs } from '../scripts/dev/process.supervisor';

describe('pnpm dev runner pieces', () => {
  it('describes anything that reaches the top level in one line, whatever was thrown', () => {
    expect(describeError(new Error('port 54329 is taken'))).toBe('port 54329 is taken');
    expect(describeError(undefined)).toBe('an unknown error (nothing was thrown with it)');
    expect(describeError(null)).toBe('an unknown error (nothing was thrown with it)');
    expect(describeError('plain text')).toBe('plain text');
    expect(describeError({ code: 'EADDRINUSE' })).toBe('{"code":"EADDRINUSE"}');
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(describeError(circular)).toBe('[object Object]');
    expect(describeError(new TypeError(''))).toBe('TypeError');
  });

  it('backs off restarts 1, 2, 4 ... seconds, capped at 30', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(restartDelayMs)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });
});
