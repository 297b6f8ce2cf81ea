import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { declaredErrors, defineErrors, findDeclaredError } from './error-catalogue';

/** Codes unique to one test, since the catalogue is process-wide. */
const code = (name: string) => `spec${randomUUID().slice(0, 8)}:${name}` as const;

describe('error catalogue', () => {
  it('builds errors with the declared status, code, message, fields and headers', () => {
    const codes = { plain: code('plain'), dynamic: code('dynamic'), throttled: code('throttled') };
    const errors = defineErrors('spec', {
      plain: { code: codes.plain, status: 409, message: 'Already there', fields: ['name'] },
      dynamic: { code: codes.dynamic, status: 401, message: (left: number) => `${left} left` },
      throttled: { code: codes.throttled, status: 429, message: 'Slow down', headers: (seconds: number) => ({ 'Retry-After': String(seconds) }) },
    });
    expect(errors.plain()).toMatchObject({ status: 409, code: codes.plain, message: 'Already there', fields: ['name'], expose: true });
    expect(errors.dynamic(3)).toMatchObject({ status: 401, code: codes.dynamic, message: '3 left' });
    expect(errors.throttled(7)).toMatchObject({ status: 429, headers: { 'Retry-After': '7' } });
    expect(errors.codes.dynamic).toMatchObject({ code: codes.dynamic, status: 401, description: '… left', owner: 'spec' });
    expect(findDeclaredError(codes.plain)?.status).toBe(409);
    expect(declaredErrors().has(codes.throttled)).toBe(true);
  });

  it('refuses a code declared twice, whether with another status or the same one', () => {
    const shared = code('shared');
    defineErrors('first', { one: { code: shared, status: 400, message: 'x' } });
    expect(() => defineErrors('second', { other: { code: shared, status: 401, message: 'x' } })).toThrow(/declared twice.*first: 400.*second: 401/);
    expect(() => defineErrors('third', { same: { code: shared, status: 400, message: 'x' } })).toThrow(/declared twice/);
    expect(findDeclaredError(shared)).toMatchObject({ owner: 'first', status: 400 });
  });
});
