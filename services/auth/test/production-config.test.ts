import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@malet/config';
import { compileTrustedProxies } from '@malet/http-server';
import { loadAuthConfig } from '../src/config';
import { productionEnv } from './support';

/** What an operator following `.env.example`'s advice sets in production: fresh secrets, a real mail relay. */
const production = () => ({ ...productionEnv(), SMTP_URL: 'smtps://relay.example.com:465' });

/** The configuration error for `env`, whose message names each refused variable. */
function refusal(env: Record<string, string>): string {
  try {
    loadAuthConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
}

describe('production configuration', () => {
  it('accepts a production environment with its own secrets and mail relay: rate limits on, Secure cookies, SMS off unless configured', () => {
    const config = loadAuthConfig(production());
    expect(config.production).toBe(true);
    expect(config.rateLimits.enabled).toBe(true);
    expect(config.cookie.secure).toBe(true);
    expect(config.mfa.sms.provider).toBe('none');
    expect(config.dev.enabled).toBe(false);
  });

  it.each([
    ['RATE_LIMITS_ENABLED', 'false'],
    ['COOKIE_SECURE', 'false'],
    ['SMS_PROVIDER', 'dev'],
    ['DEV_MODE', 'true'],
    ['INTERNAL_TOKEN_SECRET', '0'.repeat(64)],
    ['OTP_HMAC_SECRET', '0'.repeat(64)],
    ['MFA_ENCRYPTION_KEY', '0'.repeat(64)],
  ])('refuses %s=%s, naming the variable and never the value', (key, value) => {
    const message = refusal({ ...production(), [key]: value });
    expect(message).toContain(`${key}:`);
    if (value.length > 8) expect(message).not.toContain(value);
    // The same value is fine outside production (where it is the convenient default or a test setting).
    if (key !== 'MFA_ENCRYPTION_KEY' && key !== 'INTERNAL_TOKEN_SECRET' && key !== 'OTP_HMAC_SECRET') {
      expect(() => loadAuthConfig({ ...production(), NODE_ENV: 'development', [key]: value })).not.toThrow();
    }
  });

  it('refuses the local mail catcher: SMTP_URL must be set', () => {
    const { SMTP_URL: _unset, ...withoutMail } = production();
    expect(refusal(withoutMail)).toContain('SMTP_URL:');
    expect(loadAuthConfig({ ...withoutMail, NODE_ENV: 'development' }).mail.smtpUrl).toBe('smtp://127.0.0.1:1025');
  });

  it("refuses .env.example's placeholder secrets as they stand, each by name", () => {
    const example = Object.fromEntries(
      readFileSync(join(import.meta.dirname, '../../../.env.example'), 'utf8')
        .split('\n')
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    const message = refusal({ ...production(), ...pick(example, ['INTERNAL_TOKEN_SECRET', 'OTP_HMAC_SECRET', 'MFA_ENCRYPTION_KEY']) });
    for (const key of ['INTERNAL_TOKEN_SECRET', 'OTP_HMAC_SECRET', 'MFA_ENCRYPTION_KEY']) expect(message).toContain(`${key}:`);
  });
});

describe('TRUST_PROXY', () => {
  it.each(['true', '10.1', '1.2.3.4/33'])('refuses the ambiguous or invalid form %j, naming the variable and the rule but never the value', (value) => {
    const message = refusal({ TRUST_PROXY: value });
    expect(message).toContain('TRUST_PROXY:');
    expect(message).toMatch(/hop count|prefix length/);
    expect(message).not.toContain(value);
  });

  it('reads hops:N and a bare N as a hop count (a number, never the address 0.0.0.1), none as trusting nothing, and a list as the proxies to trust', () => {
    expect(loadAuthConfig({ TRUST_PROXY: 'hops:1' }).trustedProxies).toEqual({ kind: 'hops', count: 1 });
    expect(loadAuthConfig({ TRUST_PROXY: '1' }).trustedProxies).toEqual({ kind: 'hops', count: 1 });
    expect(loadAuthConfig({ TRUST_PROXY: 'none' }).trustedProxies).toEqual({ kind: 'none' });
    expect(loadAuthConfig({ TRUST_PROXY: 'loopback, uniquelocal' }).trustedProxies).toEqual({ kind: 'addresses', list: ['loopback', 'uniquelocal'] });
    expect(loadAuthConfig({}).trustedProxies).toEqual({ kind: 'addresses', list: ['loopback'] });
  });

  it('hands express a rule that trusts exactly the configured hops', () => {
    const trusts = (value: string, address: string, index: number) => compileTrustedProxies(loadAuthConfig({ TRUST_PROXY: value }).trustedProxies)(address, index);
    // One hop: the socket peer is the proxy, the next address is the client's, whatever it is.
    expect([trusts('1', '0.0.0.1', 0), trusts('1', '0.0.0.1', 1)]).toEqual([true, false]);
    expect(trusts('none', '127.0.0.1', 0)).toBe(false);
    expect([trusts('loopback, 10.0.0.0/8', '127.0.0.1', 0), trusts('loopback, 10.0.0.0/8', '10.9.8.7', 1), trusts('loopback, 10.0.0.0/8', '192.0.2.1', 0)]).toEqual([true, true, false]);
  });

  it.each(['docker-compose.yml', 'infra/k8s/auth.yaml'])('%s sets an explicit form that auth accepts', (file) => {
    const text = readFileSync(join(import.meta.dirname, '../../..', file), 'utf8');
    const value = /TRUST_PROXY:\s*"([^"]*)"|name: TRUST_PROXY\s*\n\s*value:\s*"([^"]*)"/.exec(text);
    expect(value, `${file} sets TRUST_PROXY`).not.toBeNull();
    expect(() => loadAuthConfig({ TRUST_PROXY: value![1] ?? value![2]! })).not.toThrow();
  });
});

function pick(source: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.map((key) => [key, source[key]!]));
}
