import { describe, expect, it } from 'vitest';
import { ConfigError, baseEnvShape, loadConfig, port, postgresUrl, preparedStatements, refuseDevSecretsInProduction, z } from '../src/index';

const schema = z
  .object({ ...baseEnvShape, PORT: port(3000), DATABASE_URL: postgresUrl })
  .superRefine(refuseDevSecretsInProduction);

describe('loadConfig', () => {
  it('fails fast naming each variable and rule, never the value', () => {
    const secretLookingValue = 'mysql://root:hunter2@db/app';
    let error: unknown;
    try {
      loadConfig(schema, { DATABASE_URL: secretLookingValue, PORT: 'eighty', LOG_LEVEL: 'loud', INTERNAL_TOKEN_SECRET: 'short' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const key of ['DATABASE_URL', 'PORT', 'LOG_LEVEL', 'INTERNAL_TOKEN_SECRET']) expect(message).toContain(key);
    for (const value of [secretLookingValue, 'hunter2', 'eighty', 'loud', 'short']) expect(message).not.toContain(value);
  });

  it('applies defaults and treats empty strings as unset', () => {
    const config = loadConfig(schema, { DATABASE_URL: 'postgres://localhost/app', PORT: '' });
    expect(config.PORT).toBe(3000);
    expect(config.LOG_LEVEL).toBe('info');
  });

  it('refuses the published dev secret in production', () => {
    expect(() => loadConfig(schema, { NODE_ENV: 'production', DATABASE_URL: 'postgres://db/app' })).toThrow(/INTERNAL_TOKEN_SECRET: must be set in production/);
    expect(() =>
      loadConfig(schema, { NODE_ENV: 'production', DATABASE_URL: 'postgres://db/app', INTERNAL_TOKEN_SECRET: 'p'.repeat(40) }),
    ).not.toThrow();
  });
});

describe('DATABASE_PREPARED_STATEMENTS', () => {
  const prepared = z.object({ DATABASE_PREPARED_STATEMENTS: preparedStatements });
  const read = (value?: string) => loadConfig(prepared, { DATABASE_PREPARED_STATEMENTS: value }).DATABASE_PREPARED_STATEMENTS;

  it('is 200 statements per connection unless set, 0 (off) up to 10,000 when set', () => {
    expect([read(), read('0'), read('1'), read('10000')]).toEqual([200, 0, 1, 10_000]);
  });

  it.each(['-1', '10001', '1.5', 'off'])('refuses %j, naming the variable', (value) => {
    expect(() => read(value)).toThrow(/DATABASE_PREPARED_STATEMENTS/);
  });
});
