import { TOTP, Secret } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { generateTotpSecret, matchTotpStep } from './totp';

describe('TOTP codes', () => {
  const secret = generateTotpSecret();
  const app = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' });
  // The middle of a time step, so ±1 step is unambiguous.
  const now = new Date(Math.floor(Date.now() / 30_000) * 30_000 + 15_000);
  const codeAt = (steps: number) => app.generate({ timestamp: now.getTime() + steps * 30_000 });
  const step = Math.floor(now.getTime() / 30_000);

  it('accepts the current step and one step either side (clock drift), and says which step matched', () => {
    expect(matchTotpStep(secret, codeAt(0), now)).toBe(step);
    expect(matchTotpStep(secret, codeAt(-1), now)).toBe(step - 1);
    expect(matchTotpStep(secret, codeAt(1), now)).toBe(step + 1);
  });

  it('refuses codes two steps away, on either side', () => {
    expect(matchTotpStep(secret, codeAt(-2), now)).toBeNull();
    expect(matchTotpStep(secret, codeAt(2), now)).toBeNull();
  });

  it('refuses anything that is not six digits before computing', () => {
    for (const code of ['', '12345', '1234567', 'abcdef', ' 123456']) expect(matchTotpStep(secret, code, now)).toBeNull();
  });
});
