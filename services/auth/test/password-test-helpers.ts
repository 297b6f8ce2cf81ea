import { expect } from 'vitest';
import { sql } from 'drizzle-orm';
import type { SmtpCatcher } from '@malet/testing';
import type { AuthTestInstance } from './auth-test-instance';

/** Passwords that pass the policy (long, not on the common list, no email in them). */
export const STRONG = 'violet-harbour-kettle-93';
export const STRONGER = 'quartz-meadow-lantern-47';

export function httpClient(auth: () => AuthTestInstance) {
  const request = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${auth().url}${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  return {
    request,
    post: (path: string, body?: unknown, headers: Record<string, string> = {}) => request('POST', path, body, headers),
    get: (path: string, headers: Record<string, string> = {}) => request('GET', path, undefined, headers),
    del: (path: string, headers: Record<string, string> = {}) => request('DELETE', path, undefined, headers),
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export async function rows(auth: AuthTestInstance, query: ReturnType<typeof sql>) {
  return (await auth.db.execute(query)).rows as Record<string, unknown>[];
}

/** Registers, reads the verification email, and optionally verifies; returns the mail's link token and code. */
export async function register(
  auth: AuthTestInstance,
  smtp: SmtpCatcher,
  email: string,
  password = STRONG,
): Promise<{ token: string; code: string }> {
  const before = smtp.messages.length;
  const response = await httpClient(() => auth).post('/auth/register', { email, password });
  expect(response.status).toBe(201);
  const mail = await smtp.waitForMail(email, (m) => smtp.messages.indexOf(m) >= before && /Verify your/.test(m.subject));
  return readVerification(mail.text);
}

export function readVerification(text: string): { token: string; code: string } {
  const token = /[?&]token=([A-Za-z0-9_%-]+)/.exec(text)?.[1];
  const code = /code: (\d{6})/.exec(text)?.[1];
  expect(token).toBeDefined();
  expect(code).toBeDefined();
  return { token: decodeURIComponent(token!), code: code! };
}

export function tokenFromMail(text: string): string {
  const token = /[?&]token=([A-Za-z0-9_%-]+)/.exec(text)?.[1];
  expect(token).toBeDefined();
  return decodeURIComponent(token!);
}

export async function login(auth: AuthTestInstance, email: string, password: string, headers: Record<string, string> = {}) {
  const response = await httpClient(() => auth).post('/auth/login', { email, password }, headers);
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, response };
}

/** Waits for a mail to `to` whose subject matches, received after `after` messages. */
export async function mailAfter(smtp: SmtpCatcher, after: number, to: string, subject: RegExp) {
  return smtp.waitForMail(to, (m) => smtp.messages.indexOf(m) >= after && subject.test(m.subject));
}

/** The auth process's count of argon2id operations of one kind, read from its /metrics. */
export async function argon2Operations(auth: AuthTestInstance, operation: 'hash' | 'verify'): Promise<number> {
  const text = await (await fetch(`${auth.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('auth_password_hash_operations_total{') && l.includes(`operation="${operation}"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}
