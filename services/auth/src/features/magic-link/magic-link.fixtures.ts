import { mailBaseline, type MailBox } from '@malet/testing';

/** Test fixtures of magic links (used by the tests, never by the service). */

interface Api {
  post(path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }>;
}

/**
 * Asks for a sign-in link and reads it out of the email the SMTP server received: `start`'s
 * answer, the mail, the link exactly as written in it (`href`), parsed, and its token.
 */
export async function requestMagicLink(api: Api, mail: MailBox, email: string, returnTo?: string) {
  const before = await mailBaseline(mail);
  const response = await api.post('/auth/magic-link/start', { email, ...(returnTo ? { return_to: returnTo } : {}) });
  if (response.status !== 200) throw new Error(`magic-link start answered ${response.status}`);
  const message = await mail.waitForMail(email, (m) => mail.messages.indexOf(m) >= before && /sign-in link/.test(m.subject));
  const href = /(https?:\/\/\S+\/auth\/magic-link\/callback\?token=\S+)/.exec(message.text)?.[1];
  if (!href) throw new Error('no magic link in the mail');
  const link = new URL(href);
  return { answer: response.body, message, href, link, token: link.searchParams.get('token') ?? '' };
}
