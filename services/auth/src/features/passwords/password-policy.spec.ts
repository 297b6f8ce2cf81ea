import { describe, expect, it } from 'vitest';
import { noBreachCheck } from './breached-passwords';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './password.errors';
import { createPasswordPolicy, normalizePassword } from './password-policy';

const policy = createPasswordPolicy({ breached: noBreachCheck });
const rejection = (password: string, email = 'someone@example.com') => policy.assertAcceptable(password, email).then(() => null, (error: { code: string }) => error.code);

describe('password policy', () => {
  it(`accepts ${PASSWORD_MIN_LENGTH} characters and refuses one fewer`, async () => {
    expect(await rejection('kq7#vz2!'.slice(0, PASSWORD_MIN_LENGTH))).toBeNull();
    expect(await rejection('kq7#vz2!'.slice(0, PASSWORD_MIN_LENGTH - 1))).toBe('auth:password_too_short');
  });

  it(`accepts ${PASSWORD_MAX_LENGTH} characters and refuses one more, counting code points`, async () => {
    const long = 'kq7#vz2!'.repeat(PASSWORD_MAX_LENGTH).slice(0, PASSWORD_MAX_LENGTH);
    expect(await rejection(long)).toBeNull();
    expect(await rejection(`${long}x`)).toBe('auth:password_too_long');
    // Emoji are one character each, however many UTF-16 units they take.
    expect(await rejection('🔑'.repeat(PASSWORD_MIN_LENGTH))).toBeNull();
  });

  it('refuses common passwords and ones holding the email local part', async () => {
    expect(await rejection('password123')).toBe('auth:password_common');
    expect(await rejection('xx-someone-2024!', 'someone@example.com')).toBe('auth:password_contains_email');
    expect(await rejection('xx-bob-2024!-long', 'bob@example.com')).toBeNull();
  });

  it('refuses a breached password when the breach check says so', async () => {
    const strict = createPasswordPolicy({ breached: { isBreached: async () => true } });
    await expect(strict.assertAcceptable('violet-harbour-kettle-93', 'a@example.com')).rejects.toMatchObject({ code: 'auth:password_breached' });
  });

  it('normalises to NFKC, so composed and decomposed accents are one password', () => {
    expect(normalizePassword('caf\u00e9')).toBe(normalizePassword('cafe\u0301'));
  });
});
