import { mailBaseline, type MailBox } from '@malet/testing';

/** Test fixtures of email OTP (used by the tests, never by the service). */

interface Api {
  post(path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number }>;
}

/** Starts an email sign-in and reads the code out of the email the SMTP server received. */
export async function requestCode(api: Api, mail: MailBox, email: string): Promise<string> {
  const before = await mailBaseline(mail);
  const response = await api.post('/auth/email/login/start', { email });
  if (response.status !== 200) throw new Error(`email login start answered ${response.status}`);
  const message = await mail.waitForMail(email, (m) => mail.messages.indexOf(m) >= before && /sign-in code/.test(m.subject));
  const code = /\b(\d{6})\b/.exec(message.text)?.[1];
  if (!code) throw new Error('no code in the sign-in mail');
  return code;
}

/** A 6-digit code that is certainly not `code`. */
export const wrongCodeFor = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
