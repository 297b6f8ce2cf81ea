import { mailBaseline, type MailBox } from '@malet/testing';

/** Test fixtures of the passwords feature (used by the tests, never by the service). */

interface Api {
  post(path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }>;
}

/** Passwords that pass the policy (long, not on the common list, no email in them). */
export const STRONG = 'violet-harbour-kettle-93';
export const STRONGER = 'quartz-meadow-lantern-47';

/** The link token and the 6-digit code of a verification email. */
export function readVerification(text: string): { token: string; code: string } {
  const token = /[?&]token=([A-Za-z0-9_%-]+)/.exec(text)?.[1];
  const code = /code: (\d{6})/.exec(text)?.[1];
  if (!token || !code) throw new Error('no verification link and code in the mail');
  return { token: decodeURIComponent(token), code };
}

/** The `token` query parameter of the first link in a mail. */
export function tokenFromMail(text: string): string {
  const token = /[?&]token=([A-Za-z0-9_%-]+)/.exec(text)?.[1];
  if (!token) throw new Error('no token link in the mail');
  return decodeURIComponent(token);
}

/** Waits for a mail to `to` whose subject matches, received after the first `after` messages. */
export function mailAfter(mail: MailBox, after: number, to: string, subject: RegExp) {
  return mail.waitForMail(to, (m) => mail.messages.indexOf(m) >= after && subject.test(m.subject));
}

/** Registers with a password and reads the verification email: its link token and code. */
export async function registerUser(api: Api, mail: MailBox, email: string, password = STRONG): Promise<{ token: string; code: string }> {
  const before = await mailBaseline(mail);
  const response = await api.post('/auth/register', { email, password });
  if (response.status !== 201) throw new Error(`register answered ${response.status}`);
  return readVerification((await mailAfter(mail, before, email, /Verify your/)).text);
}
